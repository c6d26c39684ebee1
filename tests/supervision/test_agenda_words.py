"""The pure rules of the supervision hour (supervision/agenda.py): reasons in
words with their evidence, the clock, and the order of a new agenda."""

from dataclasses import dataclass
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from supervision.agenda import CaseFacts, Score, clock, hhmm, minutes_for, order_agenda, reasons_in_words

TODAY = date(2026, 11, 29)


def words(facts, *reasons):
    return [r.text for r in reasons_in_words(facts, reasons, TODAY)]


def test_item_9_with_its_answer_and_date():
    facts = CaseFacts(item9=[(date(2026, 11, 20), 0), (date(2026, 11, 27), 2)])
    [reason] = reasons_in_words(facts, ["risk"], TODAY)
    assert reason.text == "PHQ-9 item 9 = 2 on 27/11/2026" and reason.on == date(2026, 11, 27)


def test_a_risk_event_newer_than_item_9_is_the_evidence():
    facts = CaseFacts(item9=[(date(2026, 11, 20), 1)], risks=[(date(2026, 11, 25), "Medium", "event")])
    assert words(facts, "risk") == ["risk recorded (medium) on 25/11/2026"]


def test_item_9_before_the_last_review_is_not_the_evidence():
    facts = CaseFacts(last_reviewed_on=date(2026, 11, 21), item9=[(date(2026, 11, 20), 3)])
    assert words(facts, "risk")[0].startswith("risk flagged on")


def test_overdue_in_days_since_review_or_since_opening():
    assert words(CaseFacts(last_reviewed_on=date(2026, 10, 25)), "overdue_review") == [
        "not reviewed for 35 days (last 25/10/2026)"
    ]
    assert words(CaseFacts(opened_on=date(2026, 10, 20)), "overdue_review") == [
        "never reviewed, open for 40 days (since 20/10/2026)"
    ]


def test_no_reliable_improvement_with_the_scores():
    facts = CaseFacts(
        phq9=[Score(date(2026, 10, 1), 17), Score(date(2026, 11, 20), 16)],
        treatment_sessions=4,
    )
    assert words(facts, "no_improvement") == ["no reliable improvement after 4 treatment sessions: PHQ-9 17 → 16"]


def test_improved_but_still_at_caseness_says_so():
    facts = CaseFacts(phq9=[Score(date(2026, 10, 1), 22), Score(date(2026, 11, 20), 14)], treatment_sessions=5)
    assert words(facts, "no_improvement")[0].startswith("still at caseness after 5 treatment sessions")


def test_two_dnas_in_a_row_with_their_dates():
    facts = CaseFacts(attendances=[(date(2026, 11, 1), "5"), (date(2026, 11, 10), "3"), (date(2026, 11, 17), "3")])
    assert words(facts, "dna") == ["2 DNAs in a row: 10/11/2026 and 17/11/2026"]


def test_deterioration_and_proposal_and_request_and_order():
    facts = CaseFacts(
        phq9=[Score(date(2026, 10, 1), 8), Score(date(2026, 11, 20), 15)],
        gad7=[Score(date(2026, 10, 1), 6), Score(date(2026, 11, 20), 7)],
        proposal=("step_up", 3, date(2026, 11, 21), "Paula Practitioner"),
        flag_raised_on={"pwp_request": date(2026, 11, 22)},
    )
    assert words(facts, "step_change", "deterioration", "pwp_request", "risk") == [
        "risk flagged on –",
        "the practitioner asks for supervision (22/11/2026)",
        "reliable deterioration: PHQ-9 8 → 15 on 20/11/2026",
        "step up to step 3 proposed by Paula Practitioner on 21/11/2026",
    ]


MINUTES = {"risk": 10, "awaiting_step": 8, "default": 5}


def test_minutes_of_the_most_demanding_reason():
    assert minutes_for(["overdue_review", "risk"], MINUTES) == 10
    assert minutes_for(["awaiting_step"], MINUTES) == 8
    assert minutes_for([], MINUTES) == 5


def test_the_clock_fills_the_hour_in_order_and_carries_the_rest():
    slots = clock([("a", 10), ("b", 8), *[(f"c{i}", 5) for i in range(10)]], 60)
    fitted = [s for s in slots if s.fits]
    assert [(s.referral_id, s.start, s.end) for s in fitted[:3]] == [("a", 0, 10), ("b", 10, 18), ("c0", 18, 23)]
    assert sum(s.minutes for s in fitted) == 58 and len(fitted) == 10
    assert [s.referral_id for s in slots if not s.fits] == ["c8", "c9"]
    assert hhmm(58) == "0:58" and hhmm(70) == "1:10"


def test_a_shorter_case_after_one_that_does_not_fit_still_fits():
    slots = clock([("a", 50), ("b", 11), ("c", 10)], 60)
    assert [(s.referral_id, s.fits) for s in slots] == [("a", True), ("b", False), ("c", True)]


@given(st.lists(st.integers(min_value=1, max_value=30), max_size=30), st.integers(min_value=0, max_value=120))
def test_the_clock_never_overruns_and_never_drops_a_case(minutes, length):
    slots = clock([(i, m) for i, m in enumerate(minutes)], length)
    assert [s.referral_id for s in slots] == list(range(len(minutes)))
    assert sum(s.minutes for s in slots if s.fits) <= length
    ends = [s.end for s in slots if s.fits]
    assert ends == sorted(ends)


@dataclass
class Case:
    pk: str
    has_risk: bool = False
    has_overdue: bool = False


def test_risk_first_then_the_overdue_carried_last_time_then_the_rest():
    cases = [Case("other"), Case("old", has_overdue=True), Case("carried", has_overdue=True), Case("risk", True)]
    assert [c.pk for c in order_agenda(cases, {"carried"})] == ["risk", "carried", "other", "old"]
