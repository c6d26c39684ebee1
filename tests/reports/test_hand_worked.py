"""A hand-worked table of referrals covering every national definition's
boundary (DOMAIN.md "Outcomes"), checked referral by referral and then figure
by figure against totals worked out by hand.

Period: Q1 2026/27 (1 April to 30 June 2026). Most referrals are received on
Monday 6 April 2026 (British Summer Time) and end the day after their last
contact. Visit codes: A assessment, T treatment, S treatment arrived late and
seen, D treatment not attended, C cancelled by the patient, P cancelled by the
provider, L arrived late and not seen, X assessment and treatment, R review
and treatment, V review without treatment, O other."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from patients.codes import ReferralSource
from reports import figures
from reports.selectors import ReportScope
from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus

from .factories import Case, Visit, build, pure_outcome
from .test_sql_agreement import sql_rows

P0, P1 = date(2026, 4, 1), date(2026, 6, 30)
B = date(2026, 4, 6)
JAN = date(2026, 1, 1)
FEB = date(2026, 2, 16)
OCT = date(2025, 10, 1)
CODES = {
    "A": ("01", "5"),
    "T": ("02", "5"),
    "S": ("02", "6"),
    "D": ("02", "3"),
    "C": ("02", "2"),
    "P": ("02", "4"),
    "L": ("02", "7"),
    "X": ("03", "5"),
    "R": ("05", "5"),
    "V": ("04", "5"),
    "O": ("06", "5"),
}


def v(day, code, hour=10, minute=0, step=2, **scores):
    appointment_type, attendance = CODES[code]
    return Visit(day, appointment_type, attendance, scores=scores, hour=hour, minute=minute, step=step)


def pg(phq, gad, **more):
    return {"PHQ9": phq, "GAD7": gad, **more}


def course(first, last, *, middle=None):
    """Assessment, treatment at 7 and 14 days: exactly two treatment sessions."""
    return [v(0, "A", **first), v(7, "T", **(middle or {})), v(14, "T", **last)]


# label: (case, expected flags of an ended referral as
#         (finished, at caseness at start, recovered, reliably improved, reliably deteriorated, reliably recovered))
N = None
TABLE = {
    "01 two treatment sessions, recovered": (
        dict(visits=course(pg(15, 12), pg(5, 4)), source=ReferralSource.SELF, date_of_birth=date(2008, 4, 7)),
        (True, True, True, True, False, True),
    ),
    "02 one treatment session": (
        dict(visits=[v(0, "A", **pg(15, 12)), v(7, "T", **pg(5, 4))], end_code="47"),
        (False,) * 6,
    ),
    "03 a DNA does not count": (
        dict(visits=[v(0, "A", **pg(15, 12)), v(7, "T", **pg(5, 4)), v(14, "D")], end_code="48"),
        (False,) * 6,
    ),
    "04 cancelled, late not seen do not count": (
        dict(
            visits=[v(0, "A", **pg(15, 12)), v(7, "T", **pg(5, 4)), v(14, "C"), v(21, "L"), v(28, "P")], end_code="47"
        ),
        (False,) * 6,
    ),
    "05 late but seen counts; PHQ-9 exactly 10 at start": (
        dict(
            visits=[v(0, "A", **pg(10, 5)), v(7, "S"), v(14, "T", **pg(9, 5))],
            source=ReferralSource.SELF,
            sex="1",
            date_of_birth=date(2008, 4, 6),
        ),
        (True, True, True, False, False, False),
    ),
    "06 assessment-and-treatment and review-and-treatment count; not at caseness": (
        dict(visits=[v(0, "X", **pg(9, 7)), v(14, "R", **pg(2, 2))]),
        (True, False, False, True, False, False),
    ),
    "07 GAD-7 exactly 8 at start, 7 at end": (
        dict(
            visits=course(pg(9, 8), pg(2, 7)),
            descriptor="F411",
            source=ReferralSource.SELF,
            sex="1",
            date_of_birth=date(1961, 4, 6),
        ),
        (True, True, True, True, False, True),
    ),
    "08 PHQ-9 ends exactly at caseness": (
        dict(visits=course(pg(15, 12), pg(10, 3))),
        (True, True, False, True, False, False),
    ),
    "09 GAD-7 ends exactly at caseness; both fell exactly their reliable change": (
        dict(visits=course(pg(15, 12), pg(9, 8))),
        (True, True, False, True, False, False),
    ),
    "10 PHQ-9 fell exactly 6, still at caseness": (
        dict(visits=course(pg(16, 10), pg(10, 10))),
        (True, True, False, True, False, False),
    ),
    "11 fell one short of reliable change": (
        dict(visits=course(pg(16, 10), pg(11, 7))),
        (True, True, False, False, False, False),
    ),
    "12 PHQ-9 rose exactly 6": (dict(visits=course(pg(10, 8), pg(16, 8))), (True, True, False, False, True, False)),
    "13 rose one short of reliable change": (
        dict(visits=course(pg(10, 8), pg(15, 11))),
        (True, True, False, False, False, False),
    ),
    "14 one fell reliably, the other rose reliably": (
        dict(visits=course(pg(20, 6), pg(14, 10))),
        (True, True, False, False, False, False),
    ),
    "15 social phobia: SPIN paired, GAD-7 ignored": (
        dict(
            visits=course(pg(8, 5, SPIN=30), pg(4, 12, SPIN=18)),
            descriptor="F401",
            source=ReferralSource.SELF,
            date_of_birth=date(1961, 4, 7),
            ethnicity="H",
        ),
        (True, True, True, True, False, True),
    ),
    "16 SPIN exactly at caseness, fell exactly 10": (
        dict(visits=course({"PHQ9": 5, "SPIN": 19}, {"PHQ9": 5, "SPIN": 9}), descriptor="F401", ethnicity="M"),
        (True, True, True, True, False, True),
    ),
    "17 panic: a single PDSS, GAD-7 is the back-up": (
        dict(visits=course(pg(9, 12, PDSS=20), pg(4, 5)), descriptor="F410", ethnicity="Z"),
        (True, True, True, True, False, True),
    ),
    "18 PTSD without PCL-5: GAD-7; treatment at step 3": (
        dict(visits=[v(0, "A", **pg(12, 6)), v(7, "T", step=3), v(14, "T", step=3, **pg(12, 6))], descriptor="F431"),
        (True, True, False, False, False, False),
    ),
    "19 agoraphobia: MI 2.30 is not above 2.3": (
        dict(visits=course({"PHQ9": 8, "MI": 2.3}, {"PHQ9": 3, "MI": 1.52}), descriptor="F400"),
        (True, False, False, True, False, False),
    ),
    "20 MI 3.00 to 2.26: recovered, fell 0.74": (
        dict(visits=course({"PHQ9": 6, "MI": 3.0}, {"PHQ9": 3, "MI": 2.26}), descriptor="F400"),
        (True, True, True, True, False, True),
    ),
    "21 MI ends at 2.33, above the cut-off; fell 0.67": (
        dict(visits=course({"PHQ9": 6, "MI": 3.0}, {"PHQ9": 3, "MI": 2.33}), descriptor="F400"),
        (True, True, False, False, False, False),
    ),
    "22 still in treatment": (
        dict(visits=course(pg(15, 12), pg(5, 4)), status="in_treatment", source=ReferralSource.SELF),
        N,
    ),
    "23 signposted after assessment": (dict(visits=[v(0, "A", **pg(15, 12))], end_code="11"), (False,) * 6),
    "24 not assessed": (dict(visits=[], end_code="50"), (False,) * 6),
    "25 finished, PHQ-9 taken once: no paired scores": (
        dict(visits=[v(0, "A", GAD7=12), v(7, "T", **pg(15, 9)), v(14, "T", GAD7=4)]),
        (True, False, False, False, False, False),
    ),
    "26 finished, GAD-7 taken once: no paired scores": (
        dict(visits=course(pg(15, 12), {"PHQ9": 5})),
        (True, False, False, False, False, False),
    ),
    "27 an incomplete last measure is not a score": (
        dict(visits=[v(0, "A", **pg(15, 10)), v(7, "T", **pg(8, 3)), v(14, "T", **pg(None, None))]),
        (True, True, True, True, False, True),
    ),
    "28 review without treatment and other do not count": (
        dict(visits=[v(0, "A", **pg(15, 12)), v(7, "V"), v(14, "O"), v(21, "T", **pg(5, 4))], end_code="47"),
        (False,) * 6,
    ),
    "29 ended before the period": (
        dict(received_on=date(2026, 1, 5), ended_on=date(2026, 3, 20), visits=course(pg(15, 12), pg(5, 4))),
        N,
    ),
    "30 received after the period": (
        dict(received_on=date(2026, 7, 2), status="received", visits=[], source=ReferralSource.SELF),
        N,
    ),
    "31 received in the period, ended after it": (
        dict(received_on=date(2026, 6, 1), ended_on=date(2026, 8, 1), visits=course(pg(15, 12), pg(5, 4))),
        N,
    ),
    "32 both measures at caseness, both recover": (
        dict(visits=course(pg(20, 15), pg(5, 3)), descriptor="F412"),
        (True, True, True, True, False, True),
    ),
    "33 not at caseness, deteriorated": (
        dict(visits=course(pg(5, 3), pg(12, 9))),
        (True, False, False, False, True, False),
    ),
    "34 a PCL-5 on a depression referral is not its anxiety measure": (
        dict(visits=course(pg(15, 12, PCL5=30), pg(5, 4, PCL5=50))),
        (True, True, True, True, False, True),
    ),
    "35 first treatment exactly 6 weeks after referral, second 28 days later": (
        dict(visits=[v(0, "A"), v(42, "T"), v(70, "T")], status="in_treatment", source=ReferralSource.SELF),
        N,
    ),
    "36 first treatment at 00:30 on day 43 (22:30 UTC on day 42), second 29 days later": (
        dict(visits=[v(0, "A"), v(43, "T", hour=0, minute=30), v(72, "T")], status="in_treatment"),
        N,
    ),
    "37 first treatment exactly 18 weeks after referral": (
        dict(received_on=JAN, visits=[v(5, "A"), v(126, "T")], status="in_treatment"),
        N,
    ),
    "38 first treatment 18 weeks and a day after referral": (
        dict(received_on=JAN, visits=[v(5, "A"), v(127, "T")], status="in_treatment"),
        N,
    ),
    "39 second treatment 91 days after the first": (
        dict(received_on=JAN, visits=[v(5, "A"), v(20, "T"), v(111, "T")], status="in_treatment"),
        N,
    ),
    # Issue 14, item 11: the waiting-time standards are measured on the courses
    # finished in the period (40-43 and the finished of 01-34), not on those entering it.
    "40 received in February, first treated 50 days later, finished in the period": (
        dict(received_on=FEB, visits=[v(0, "A", **pg(15, 12)), v(50, "T"), v(57, "T", **pg(5, 4))]),
        (True, True, True, True, False, True),
    ),
    "41 received in October, first treated 130 days later (February), finished in the period; no change": (
        dict(received_on=OCT, visits=[v(0, "A", **pg(12, 10)), v(130, "T"), v(190, "T", **pg(11, 9))]),
        (True, True, False, False, False, False),
    ),
    # Item 12: no scores at all stays in the recovery denominator; first scores
    # below caseness take a referral out even without paired scores.
    "42 finished with no scores at all": (
        dict(visits=[v(0, "A"), v(7, "T"), v(14, "T")]),
        (True, False, False, False, False, False),
    ),
    "43 finished, first scores below caseness, never scored again": (
        dict(visits=[v(0, "A", **pg(5, 4)), v(7, "T"), v(14, "T")]),
        (True, False, False, False, False, False),
    ),
    # Item 14: open at the period's end, the last treatment over 90 days before it.
    "44 open, last treated on 10 February (140 days before the period's end)": (
        dict(received_on=JAN, visits=[v(5, "A"), v(20, "T"), v(40, "T")], status="in_treatment"),
        N,
    ),
    "45 open, last treated on 31 March (91 days)": (
        dict(received_on=JAN, visits=[v(5, "A"), v(89, "T")], status="in_treatment"),
        N,
    ),
    "46 open, last treated on 1 April (exactly 90 days)": (
        dict(received_on=JAN, visits=[v(5, "A"), v(90, "T")], status="in_treatment"),
        N,
    ),
    "47 open, treated on 21 January and again on 10 July, after the period": (
        dict(received_on=JAN, visits=[v(5, "A"), v(20, "T"), v(190, "T")], status="in_treatment"),
        N,
    ),
}


def make_cases():
    cases = []
    for label, (spec, _expected) in TABLE.items():
        spec = dict(spec)
        spec.setdefault("received_on", B)
        spec.setdefault("status", "ended")
        if spec["status"] == "ended" and "ended_on" not in spec:
            last = max((visit.day for visit in spec["visits"]), default=0)
            spec["ended_on"] = spec["received_on"] + timedelta(days=last + 1)
        cases.append(Case(label=label, **spec))
    return cases


@pytest.fixture
def table(service, practitioner):
    referrals = build(service=service, cases=make_cases(), practitioner=practitioner)
    by_label = {r.case.label: r for r in referrals}
    # step changes: one confirmed step-up in the period, one only proposed, one before it
    ptsd = by_label["18 PTSD without PCL-5: GAD-7; treatment at step 3"]
    for status, day in (
        (StepChangeStatus.CONFIRMED, date(2026, 4, 14)),
        (StepChangeStatus.DECLINED, date(2026, 4, 15)),
    ):
        StepChange.objects.create(
            referral=ptsd,
            kind=StepChangeKind.STEP_UP,
            status=status,
            from_step=2,
            to_step=3,
            effective_on=day,
            reason="Not improving",
            proposed_by=practitioner,
            decided_by=practitioner,
            decided_at=timezone.now(),
        )
    StepChange.objects.create(
        referral=by_label["29 ended before the period"],
        kind=StepChangeKind.STEP_UP,
        status=StepChangeStatus.CONFIRMED,
        from_step=2,
        to_step=3,
        effective_on=date(2026, 2, 1),
        reason="x",
        proposed_by=practitioner,
        decided_by=practitioner,
        decided_at=timezone.now(),
    )
    still = by_label["22 still in treatment"]
    still.last_reviewed_at = timezone.now() - timedelta(days=3)
    still.save(update_fields=["last_reviewed_at"])
    return by_label


def test_the_table_covers_at_least_thirty_referrals():
    assert len(TABLE) >= 30


def test_referral_by_referral(table, service):
    rows = sql_rows(service, (P0, P1))
    excluded = {"29 ended before the period", "30 received after the period"}
    assert set(rows) == {str(r.pk) for label, r in table.items() if label not in excluded}
    for label, referral in table.items():
        expected = TABLE[label][1]
        if label in excluded:
            continue
        row = rows[str(referral.pk)]
        if expected is None:
            continue
        got = (
            row["finished_treatment"],
            row["at_caseness_start"],
            row["recovered"],
            row["reliable_improvement"],
            row["reliable_deterioration"],
            row["reliable_recovery"],
        )
        assert got == expected, label
        # and the specification agrees with the hand-worked answer
        outcome = pure_outcome(referral)
        assert (
            outcome.finished_treatment,
            outcome.at_caseness_start,
            outcome.recovered,
            outcome.reliable_improvement,
            outcome.reliable_deterioration,
            outcome.reliable_recovery,
        ) == expected, label
    assert rows[str(table["15 social phobia: SPIN paired, GAD-7 ignored"].pk)]["anxiety_instrument"] == "SPIN"
    assert rows[str(table["17 panic: a single PDSS, GAD-7 is the back-up"].pk)]["anxiety_instrument"] == "GAD7"
    assert (
        rows[str(table["34 a PCL-5 on a depression referral is not its anxiety measure"].pk)]["anxiety_instrument"]
        == "GAD7"
    )
    late = rows[str(table["36 first treatment at 00:30 on day 43 (22:30 UTC on day 42), second 29 days later"].pk)]
    assert late["days_to_first_treatment"] == 43 and late["days_first_to_second_treatment"] == 29
    assert rows[str(table["27 an incomplete last measure is not a score"].pk)]["phq9_last"] == 8
    # the recovery denominator's flag and "no change", referral by referral (issue 14, items 12 and 14)
    for label, referral in table.items():
        row = rows.get(str(referral.pk))
        if row is None or not row["ended"]:
            continue
        outcome = pure_outcome(referral)
        assert (row["not_caseness_start"], row["no_change"]) == (outcome.not_caseness_start, outcome.no_change), label
    not_caseness = {label for label, r in table.items() if rows.get(str(r.pk), {}).get("not_caseness_start")}
    assert not_caseness == {
        "06 assessment-and-treatment and review-and-treatment count; not at caseness",
        "19 agoraphobia: MI 2.30 is not above 2.3",
        "33 not at caseness, deteriorated",
        "43 finished, first scores below caseness, never scored again",
    }


def test_figure_by_figure(table, service):
    scope = ReportScope(service=service, team=None, date_from=P0, date_to=P1, label="Q1 2026/27")
    report = figures.service_report(scope)
    t = report.total
    # Referrals: 1-28, 31-36, 42 and 43 received in the period
    assert t["received"] == 36
    assert t["self_referrals"] == 6  # 01, 05, 07, 15, 22, 35 (30 is after the period)
    assert t["assessed"] == 35  # all received in the period but 24 (not assessed)
    # Entered treatment: 01-22, 25-28, 31-36, 37, 38 (received in January), 40, 42, 43, 46
    assert t["entered_treatment"] == 38
    # Waiting-time standards (issue 14, item 11), over the 28 courses finished in
    # the period: all first treated within 6 weeks but 40 (50 days) and 41 (130);
    # within 18 weeks all but 41. 35-38 entered treatment in the period but did
    # not finish, 31 finished after it: none of them counts.
    assert t["within_6_weeks"] == 26
    assert t["within_18_weeks"] == 27
    assert t["second_treatment"] == 33  # and 40, 41, 42, 43
    assert t["second_over_28"] == 3  # 36 (29 days), 39 (91 days), 41 (60 days); 35 is exactly 28
    assert t["second_over_90"] == 1  # 39
    # Endings: 01-21, 23-28, 32-34, 40-43, split as NHS England does (item 14)
    assert t["ended"] == 34
    assert t["ended_before_treatment"] == 2  # 23, 24
    assert t["ended_treated_once"] == 4  # 02, 03, 04, 28
    assert {row["key"]: row["ended"] for row in report.end_codes} == {"46": 28, "47": 3, "48": 1, "11": 1, "50": 1}
    # Outcomes
    assert t["finished"] == 28
    # Item 12: out of the denominator only when the first scores show it: 06, 19,
    # 33 and 43 (first scores below, unpaired); 25, 26 (first scores at caseness)
    # and 42 (no scores) stay in, not recovered.
    assert t["not_caseness"] == 4
    assert t["finished_unpaired"] == 4  # 25, 26, 42, 43
    assert t["recovered"] == 11  # 01 05 07 15 16 17 20 27 32 34 40
    assert t["reliably_improved"] == 15  # 01 06 07 08 09 10 15 16 17 19 20 27 32 34 40
    assert t["reliably_deteriorated"] == 2  # 12 33
    assert t["reliably_recovered"] == 10  # the recovered but 05
    assert t["no_change"] == 7  # 05 11 13 14 18 21 41 (item 14)
    # Item 14: open at 30 June and treated by then: 22, 31 (ended in August),
    # 35-39, 44-47; without a treatment contact for over 90 days: 44 (140 days),
    # 45 (91) and 47 (its last treatment by 30 June was on 21 January); not 46 (90)
    assert t["open_treated"] == 11
    assert t["open_no_contact"] == 3
    r = report.rates
    assert r["recovery_rate"] == pytest.approx(11 / 24)
    assert r["reliable_recovery_rate"] == pytest.approx(10 / 24)
    assert r["reliable_improvement_rate"] == pytest.approx(15 / 28)
    assert r["reliable_deterioration_rate"] == pytest.approx(2 / 28)
    assert r["within_6_weeks_rate"] == pytest.approx(26 / 28)
    assert r["within_18_weeks_rate"] == pytest.approx(27 / 28)
    assert r["no_change_rate"] == pytest.approx(7 / 28)
    assert r["finished_unpaired_rate"] == pytest.approx(4 / 28)
    assert r["open_no_contact_rate"] == pytest.approx(3 / 11)
    # Activity in the period: one DNA (03) among 109 expected appointments; 71
    # treatment sessions, 2 of them at step 3 (18); one confirmed step-up
    a = report.activity
    assert (a["dna"], a["expected"]) == (1, 109)
    assert a["treatment_sessions"] == 71
    assert a["step2_pwp_treatment"] == 69
    assert a["step2_pwp_share"] == pytest.approx(69 / 71)
    assert a["step_ups"] == 1
    # Caseload: 22, 30, 35-39 and 44-47 open, only 22 reviewed within 28 days
    (row,) = report.staff.rows
    assert (row.open_cases, row.overdue_reviews, row.capacity) == (11, 10, 40)
    assert report.supervision["rate"] == pytest.approx(1 / 11)
    # every patient but 24 (no contact) and 30 (after the period) was seen in the year to 30 June
    assert row.patients_helped_year == 45
    assert report.workforce["helped_per_qualified_pwp"] == 45
    # Equality
    age = {row["key"]: row for row in report.equality["age_band"]}
    assert {k: (v["received"], v["finished"], v["recovered"]) for k, v in age.items()} == {
        "Under 18": (1, 1, 1),  # 01: 17, a birthday tomorrow
        "18-25": (1, 1, 1),  # 05: 18 today
        "36-45": (31, 24, 7),
        "46-55": (1, 0, 0),  # 31: received on 1 June 2026, 46 by then
        "56-64": (1, 1, 1),  # 15
        "65 and over": (1, 1, 1),  # 07
    }
    sex = {row["key"]: (row["received"], row["finished"], row["recovered"]) for row in report.equality["sex"]}
    assert sex == {"1": (2, 2, 2), "2": (34, 26, 9)}
    ethnic = {row["key"]: row["received"] for row in report.equality["ethnic_group"]}
    assert ethnic == {
        "White": 33,
        "Asian or Asian British": 1,
        "Black or Black British": 1,
        "Not stated or not known": 1,
    }
    # Trend: the twelve months to June 2026
    assert [m["label"] for m in report.trend][-3:] == ["Apr 2026", "May 2026", "Jun 2026"]
    assert len(report.trend) == 12
    assert sum(m["received"] for m in report.trend if m["month"] >= P0) == 36
    april = report.trend[-3]
    assert april["finished"] == 28 and april["recovery_rate"] == pytest.approx(11 / 24)
    # the trend's waits are those of the courses finished in the month, as the total's
    assert april["within_6_weeks"] == pytest.approx(26 / 28)
    assert april["within_18_weeks"] == pytest.approx(27 / 28)
