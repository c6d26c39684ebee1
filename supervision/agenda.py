"""Why a case is on the supervision agenda, in words with its evidence, and the
agenda's clock (issue 16; DOMAIN.md "Supervision"). Plain Python, no Django: the
facts come from `supervision/selectors.py::case_facts`, which reads them in a
fixed number of queries for any number of cases.

Shapes:
- `CaseFacts`: one case's facts (dates are `datetime.date`, local).
- `reasons_in_words(facts, reasons, today)` -> [Reason(code, text, on)], one per
  open flag, in the order of REASON_ORDER.
- `clock(entries, session_minutes)` -> [Slot], each case's start and end minute
  and whether it fits in the session; greedy in agenda order, skipping a case
  that does not fit so a shorter one after it may (never dropped: the rest are
  carried to the next session).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

# Reliable change and caseness (DOMAIN.md "Measures"); the loader passes the
# versioned values of sessions/measures.py, these are only the shape.
REASON_ORDER = (
    "risk",
    "not_on_track",
    "overdue_review",
    "pwp_request",
    "deterioration",
    "step_change",
    "awaiting_step",
    "no_improvement",
    "dna",
)

KIND_WORDS = {"step_up": "step up", "step_down": "step down", "discharge": "discharge"}


@dataclass
class Score:
    on: date
    total: float


@dataclass
class CaseFacts:
    """What the sentences are made from, for one case."""

    opened_on: date | None = None
    last_reviewed_on: date | None = None
    assessed_on: date | None = None
    phq9: list[Score] = field(default_factory=list)  # complete totals, oldest first
    gad7: list[Score] = field(default_factory=list)
    item9: list[tuple[date, int]] = field(default_factory=list)  # (day, answer), oldest first
    risks: list[tuple[date, str, str]] = field(default_factory=list)  # (day, level label, trigger), oldest first
    attendances: list[tuple[date, str]] = field(default_factory=list)  # (day, attendance code), oldest first
    treatment_sessions: int = 0
    proposal: tuple[str, int | None, date, str] | None = None  # (kind, to step, proposed on, by whom)
    flag_raised_on: dict[str, date] = field(default_factory=dict)
    question: str = ""


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    on: date | None  # the evidence's date


def _d(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else "–"


def _n(value: float) -> str:
    return f"{value:g}"


def _change(name: str, scores: Sequence[Score]) -> str:
    return f"{name} {_n(scores[0].total)} → {_n(scores[-1].total)}"


def _since_review(facts: CaseFacts, day: date) -> bool:
    return facts.last_reviewed_on is None or day >= facts.last_reviewed_on


def reasons_in_words(
    facts: CaseFacts,
    reasons: Iterable[str],
    today: date,
    *,
    phq_rc: float = 6,
    gad_rc: float = 4,
    phq_cut: float = 10,
    gad_cut: float = 8,
) -> list[Reason]:
    """One sentence with its evidence date per open flag reason, e.g.
    "PHQ-9 item 9 = 2 on 27/11/2026", "not reviewed for 35 days",
    "no reliable improvement after 4 treatment sessions: PHQ-9 17 → 16",
    "2 DNAs in a row: 03/11/2026 and 10/11/2026". A reason whose evidence is no
    longer in the facts still gets a sentence (the flag's own date)."""
    out = []
    for code in sorted(set(reasons), key=lambda r: REASON_ORDER.index(r) if r in REASON_ORDER else 99):
        raised = facts.flag_raised_on.get(code)
        out.append(_one(code, facts, today, raised, phq_rc, gad_rc, phq_cut, gad_cut))
    return out


def _one(code, facts, today, raised, phq_rc, gad_rc, phq_cut, gad_cut) -> Reason:  # noqa: PLR0911, PLR0912 - one branch per criterion
    if code == "risk":
        item9 = [(day, v) for day, v in facts.item9 if v and v > 0 and _since_review(facts, day)]
        risks = [
            r for r in facts.risks if _since_review(facts, r[0]) and (r[1].lower() != "none" or r[2] == "phq9_item9")
        ]
        if item9 and (not risks or item9[-1][0] >= risks[-1][0]):
            day, value = item9[-1]
            return Reason(code, f"PHQ-9 item 9 = {value} on {_d(day)}", day)
        if risks:
            day, level, _ = risks[-1]
            return Reason(code, f"risk recorded ({level.lower()}) on {_d(day)}", day)
        return Reason(code, f"risk flagged on {_d(raised)}", raised)
    if code == "overdue_review":
        if facts.last_reviewed_on:
            days = (today - facts.last_reviewed_on).days
            return Reason(
                code, f"not reviewed for {days} days (last {_d(facts.last_reviewed_on)})", facts.last_reviewed_on
            )
        if facts.opened_on:
            days = (today - facts.opened_on).days
            return Reason(code, f"never reviewed, open for {days} days (since {_d(facts.opened_on)})", facts.opened_on)
        return Reason(code, "never reviewed", raised)
    if code == "pwp_request":
        return Reason(code, f"the practitioner asks for supervision ({_d(raised)})", raised)
    if code == "not_on_track":
        return Reason(code, f"not on track against the expected course of recovery ({_d(raised)})", raised)
    if code == "deterioration":
        parts, day = [], None
        for name, scores, rc in (("PHQ-9", facts.phq9, phq_rc), ("GAD-7", facts.gad7, gad_rc)):
            if len(scores) >= 2 and scores[-1].total - scores[0].total >= rc:
                parts.append(_change(name, scores))
                day = max(day or scores[-1].on, scores[-1].on)
        if parts:
            return Reason(code, f"reliable deterioration: {'; '.join(parts)} on {_d(day)}", day)
        return Reason(code, f"reliable deterioration ({_d(raised)})", raised)
    if code == "step_change":
        if facts.proposal:
            kind, to_step, on, by = facts.proposal
            what = KIND_WORDS.get(kind, kind) + (f" to step {to_step}" if to_step and kind != "discharge" else "")
            return Reason(code, f"{what} proposed by {by} on {_d(on)}", on)
        return Reason(code, f"step change proposed ({_d(raised)})", raised)
    if code == "awaiting_step":
        return Reason(
            code, f"assessed on {_d(facts.assessed_on)}, awaiting a step decision", facts.assessed_on or raised
        )
    if code == "no_improvement":
        parts, day = [], None
        improved = False
        for name, scores, rc in (("PHQ-9", facts.phq9, phq_rc), ("GAD-7", facts.gad7, gad_rc)):
            if len(scores) >= 2:
                parts.append(_change(name, scores))
                day = max(day or scores[-1].on, scores[-1].on)
                improved = improved or scores[-1].total - scores[0].total <= -rc
        still = (facts.phq9 and facts.phq9[-1].total >= phq_cut) or (facts.gad7 and facts.gad7[-1].total >= gad_cut)
        lead = "still at caseness" if improved and still else "no reliable improvement"
        n = facts.treatment_sessions
        evidence = f": {'; '.join(parts)}" if parts else ""
        return Reason(code, f"{lead} after {n} treatment session{'s' if n != 1 else ''}{evidence}", day or raised)
    if code == "dna":
        dnas = [day for day, attendance in facts.attendances[-2:] if attendance == "3"]
        if len(dnas) == 2:
            return Reason(code, f"2 DNAs in a row: {_d(dnas[0])} and {_d(dnas[1])}", dnas[1])
        return Reason(code, f"2 DNAs in a row ({_d(raised)})", raised)
    return Reason(code, code.replace("_", " "), raised)


def minutes_for(reasons: Iterable[str], minutes: Mapping[str, int]) -> int:
    """A case's minutes: those of its most demanding reason (`minutes["default"]` otherwise)."""
    default = minutes.get("default", 5)
    return max((minutes.get(r, default) for r in reasons), default=default)


@dataclass(frozen=True)
class Slot:
    referral_id: object
    minutes: int
    start: int | None  # minutes from the session's start; None when carried
    fits: bool

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + self.minutes


def clock(entries: Sequence[tuple[object, int]], session_minutes: int) -> list[Slot]:
    """`entries` are (referral id, minutes) in agenda order. Each case that still
    fits starts where the last fitted one ended; one that does not is carried."""
    used, slots = 0, []
    for referral_id, minutes in entries:
        if used + minutes <= session_minutes:
            slots.append(Slot(referral_id, minutes, used, True))
            used += minutes
        else:
            slots.append(Slot(referral_id, minutes, None, False))
    return slots


def hhmm(minutes: int) -> str:
    """Minutes from the start as a clock reading: 70 -> "1:10"."""
    return f"{minutes // 60}:{minutes % 60:02d}"


def order_agenda(cases: Sequence, carried_before: set) -> list:
    """Risk first; then the overdue cases carried over from the last session;
    then the rest in the selector's priority (most overdue, other criteria).
    `cases` have `.pk`, `.has_risk`, `.has_overdue`."""

    def key(item):
        index, case = item
        return (not case.has_risk, not (case.has_overdue and case.pk in carried_before), index)

    return [case for _, case in sorted(enumerate(cases), key=key)]
