"""Scoring of the Talking Therapies measures (DOMAIN.md "Measures").

Versioned, configurable reference data: each instrument's items, item range,
scoring, caseness cut-off and reliable change index. No Django imports, so the
rules can be tested exhaustively. The server computes totals, bands and
caseness from the items; a missing item makes a measure incomplete, never zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

REFERENCE_VERSION = "2026.1"

# WSAS item 1 (ability to work) answered "not applicable: not in work" (retired,
# not working): DOMAIN.md "Measures". Given in place of the item's number.
NOT_IN_WORK = "not_in_work"
WSAS_NOT_IN_WORK_OUT_OF = 32  # the other four items, 0-8 each


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    item_count: int
    item_min: int
    item_max: int
    scoring: str  # "sum", "mean" (Mobility Inventory) or "items" (phobia scales: each item alone)
    cutoff: float | None  # caseness threshold
    cutoff_inclusive: bool  # True: caseness is total >= cutoff; False: total > cutoff
    reliable_change: float | None
    bands: tuple[tuple[float, str], ...] = ()  # (upper bound inclusive, label), ascending
    problem_descriptors: tuple[str, ...] = ()  # ICD-10 descriptors it is the anxiety measure for
    role: str = "adsm"

    @property
    def max_total(self) -> float:
        return self.item_max if self.scoring == "mean" else self.item_max * self.item_count


INSTRUMENTS: dict[str, Instrument] = {
    i.code: i
    for i in (
        Instrument(
            "PHQ9",
            "PHQ-9 (depression)",
            9,
            0,
            3,
            "sum",
            10,
            True,
            6,
            ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately severe"), (27, "severe")),
            role="depression",
        ),
        Instrument(
            "GAD7",
            "GAD-7 (anxiety)",
            7,
            0,
            3,
            "sum",
            8,
            True,
            4,
            ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
            problem_descriptors=("F32", "F33", "F411", "F412", "F402"),
            role="anxiety",
        ),
        Instrument(
            "WSAS",
            "WSAS (work and social adjustment)",
            5,
            0,
            8,
            "sum",
            None,
            True,
            None,
            ((9, "subclinical"), (20, "significant impairment"), (40, "moderately severe or worse")),
            role="disability",
        ),
        Instrument("PHOBIA", "IAPT phobia scales", 3, 0, 8, "items", 4, True, None, role="phobia"),
        # Anxiety disorder specific measures: commonly published cut-offs and
        # reliable change values; check against the current national manual.
        Instrument("SPIN", "SPIN (social anxiety)", 17, 0, 4, "sum", 19, True, 10, problem_descriptors=("F401",)),
        Instrument("PDSS", "PDSS (panic)", 7, 0, 4, "sum", 8, True, 5, problem_descriptors=("F410",)),
        Instrument("PCL5", "PCL-5 (PTSD)", 20, 0, 4, "sum", 32, True, 10, problem_descriptors=("F431",)),
        Instrument("IESR", "IES-R (PTSD, older measure)", 22, 0, 4, "sum", 33, True, 9),
        Instrument(
            "MI",
            "Mobility Inventory, alone (agoraphobia)",
            27,
            1,
            5,
            "mean",
            2.3,
            False,
            0.73,
            problem_descriptors=("F400",),
        ),
        # DOMAIN.md gives OCI >= 40 / 32, which fits the 42-item OCI (0-168).
        # The current manual may use the 18-item OCI-R instead: check before use.
        Instrument("OCI", "OCI (obsessive-compulsive)", 42, 0, 4, "sum", 40, True, 32, problem_descriptors=("F42",)),
        Instrument("HAI", "HAI short (health anxiety)", 18, 0, 3, "sum", 18, True, 4, problem_descriptors=("F452",)),
    )
}

PROBLEM_DESCRIPTORS = {
    "F32": "Depressive episode",
    "F33": "Recurrent depressive disorder",
    "F400": "Agoraphobia",
    "F401": "Social phobia",
    "F402": "Specific phobia",
    "F410": "Panic disorder",
    "F411": "Generalised anxiety disorder",
    "F412": "Mixed anxiety and depressive disorder",
    "F42": "Obsessive-compulsive disorder",
    "F431": "Post-traumatic stress disorder",
    "F452": "Health anxiety",
}

_ADSM_BY_DESCRIPTOR = {
    descriptor: i.code for i in INSTRUMENTS.values() if i.role == "adsm" for descriptor in i.problem_descriptors
}


@dataclass(frozen=True)
class ScoreResult:
    instrument: str
    total: float | None
    band: str | None
    caseness: bool | None
    complete: bool
    item9_risk: bool = False
    not_in_work: bool = False  # WSAS only: item 1 not applicable, total of items 2-5
    out_of: float | None = None  # the most the total can be (40 for WSAS, 32 not in work)


def instrument(code: str) -> Instrument:
    try:
        return INSTRUMENTS[code]
    except KeyError:
        raise ValueError(f"Unknown measure {code!r}.") from None


def severity_band(code: str, total: float | None) -> str | None:
    if total is None:
        return None
    for upper, label in instrument(code).bands:
        if total <= upper:
            return label
    return None


def is_caseness(code: str, total: float | None) -> bool | None:
    """At or above the instrument's cut-off (strictly above where the cut-off is exclusive)."""
    i = instrument(code)
    if total is None or i.cutoff is None:
        return None
    return total >= i.cutoff if i.cutoff_inclusive else total > i.cutoff


def reliable_change(code: str) -> float | None:
    return instrument(code).reliable_change


def anxiety_instrument_for(problem_descriptor: str) -> str:
    """The anxiety measure for a problem descriptor: its ADSM where it has one,
    GAD-7 otherwise (depression, GAD, mixed anxiety and depression)."""
    return _ADSM_BY_DESCRIPTOR.get(problem_descriptor, "GAD7")


PAIRED_SCORES = 2  # a first and a last score


def anxiety_measure_used(problem_descriptor: str, adsm_scores: int) -> str:
    """The anxiety measure a case is judged on (DOMAIN.md "Measures", the national
    back-up rule): the descriptor's ADSM when it has paired scores (at least
    `PAIRED_SCORES` complete ones), GAD-7 otherwise. One rule for the outcome
    (reports/outcomes.py, reports/sql.py) and the supervision criteria
    (supervision/sweep.py); its SQL form is sessions/anxiety_sql.py."""
    adsm = anxiety_instrument_for(problem_descriptor or "")
    return adsm if adsm != "GAD7" and adsm_scores >= PAIRED_SCORES else "GAD7"


def score(code: str, items: Sequence[int | str | None]) -> ScoreResult:
    """Scores a measure from its items. Raises ValueError naming the item for a
    wrong item count or an answer out of range.

    WSAS item 1 may be NOT_IN_WORK (DOMAIN.md "Measures": "not applicable: not
    in work"): the total is then the sum of items 2-5, out of 32, marked
    `not_in_work`, with no severity band (the bands are defined on the total out
    of 40, and no public source prorates or rebands the four-item total). Any
    other item given as NOT_IN_WORK is refused."""
    i = instrument(code)
    if len(items) != i.item_count:
        raise ValueError(f"{i.name} has {i.item_count} items; {len(items)} were given.")
    not_in_work = code == "WSAS" and items[0] == NOT_IN_WORK
    scored = list(items[1:]) if not_in_work else list(items)
    first = 2 if not_in_work else 1
    for number, value in enumerate(scored, start=first):
        if value is None:
            continue
        if value == NOT_IN_WORK:
            raise ValueError(f"{i.name} item {number}: only WSAS item 1 (work) may be 'not applicable: not in work'.")
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{i.name} item {number} must be a whole number.")
        if not i.item_min <= value <= i.item_max:
            raise ValueError(f"{i.name} item {number} must be between {i.item_min} and {i.item_max}.")
    complete = all(value is not None for value in scored)
    item9 = code == "PHQ9" and items[8] is not None and items[8] > 0
    out_of = WSAS_NOT_IN_WORK_OUT_OF if not_in_work else (None if i.scoring == "items" else i.max_total)
    if i.scoring == "items":
        caseness = any(v >= i.cutoff for v in items) if complete else None
        return ScoreResult(code, None, None, caseness, complete, item9)
    if not complete:
        return ScoreResult(code, None, None, None, False, item9, not_in_work, out_of)
    total: float = sum(scored)
    if i.scoring == "mean":
        total = round(total / i.item_count, 2)
    band = None if not_in_work else severity_band(code, total)
    return ScoreResult(code, total, band, is_caseness(code, total), True, item9, not_in_work, out_of)


def stored_items(items: Sequence[int | str | None]) -> list[int | None]:
    """The item answers as stored (one small integer or null each): a
    NOT_IN_WORK answer is stored as null beside the measure's not_in_work mark."""
    return [None if value == NOT_IN_WORK else value for value in items]
