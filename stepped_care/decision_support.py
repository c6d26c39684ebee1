"""Stepped-care decision support (DOMAIN.md "Stepped care"), configurable data:
which interventions each step offers for each problem, and who is not for step 2.
No Django imports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MATRIX_VERSION = "2026.1"

STEP2_INTERVENTIONS = (
    ("gsh", "Guided self-help"),
    ("ccbt", "Computerised CBT"),
    ("ba", "Behavioural activation"),
    ("exposure", "Exposure"),
    ("cog_restructuring", "Cognitive restructuring"),
    ("problem_solving", "Problem solving"),
    ("panic_management", "Panic management"),
    ("sleep_hygiene", "Sleep hygiene"),
    ("medication_support", "Medication support"),
    ("exercise", "Exercise"),
    ("psychoeducation_group", "Psychoeducation group"),
    ("pure_self_help", "Pure self-help"),
)
STEP3_INTERVENTIONS = (
    ("cbt", "CBT"),
    ("ipt", "Interpersonal therapy"),
    ("ba_hi", "Behavioural activation (high intensity)"),
    ("counselling", "Counselling for depression"),
    ("couple_therapy", "Couple therapy for depression"),
    ("emdr", "EMDR"),
)
LABELS = dict(STEP2_INTERVENTIONS + STEP3_INTERVENTIONS)

_DEPRESSION = {
    2: ["ccbt", "gsh", "ba", "exercise"],
    3: ["cbt", "ipt", "ba_hi", "counselling", "couple_therapy"],
}
_GAD = {2: ["ccbt", "gsh", "pure_self_help", "psychoeducation_group"], 3: ["cbt"]}
MATRIX: dict[str, dict[int, list[str]]] = {
    "F32": _DEPRESSION,
    "F33": _DEPRESSION,
    "F410": {2: ["ccbt", "gsh", "pure_self_help"], 3: ["cbt"]},
    "F411": _GAD,
    "F412": _GAD,
    "F42": {2: ["gsh"], 3: ["cbt"]},
    "F401": {2: [], 3: ["cbt"]},
    "F431": {2: [], 3: ["cbt", "emdr"]},
    "F400": {2: ["gsh"], 3: ["cbt"]},
    "F402": {2: ["gsh"], 3: ["cbt"]},
    "F452": {2: ["gsh"], 3: ["cbt"]},
}

EXCLUSIONS = {
    "psychosis": "Psychosis",
    "bipolar": "Bipolar disorder",
    "complex": "Complex or serious and enduring problems",
    "under18": "Under 18",
}

# Configurable: depression at or above this PHQ-9 total is suggested for step 3.
SEVERE_PHQ9 = 20


@dataclass(frozen=True)
class Suggestion:
    step: int
    interventions: tuple[str, ...]
    rationale: str


def step2_exclusion_reasons(*, age: int, flags: Iterable[str] = ()) -> list[str]:
    """The reasons a person is not for step 2 (DOMAIN.md: psychosis, bipolar,
    complex or enduring problems, under 18)."""
    reasons = [EXCLUSIONS[f] for f in flags if f in EXCLUSIONS and f != "under18"]
    if age < 18:
        reasons.append(EXCLUSIONS["under18"])
    return reasons


def suggest(*, problem_descriptor: str, phq9_total: float | None = None) -> Suggestion:
    row = MATRIX.get(problem_descriptor)
    if row is None:
        return Suggestion(2, (), "No matrix row for this problem: use clinical judgement.")
    if not row[2]:
        return Suggestion(3, tuple(row[3]), "No step 2 intervention is recommended for this problem.")
    if phq9_total is not None and phq9_total >= SEVERE_PHQ9 and row is _DEPRESSION:
        return Suggestion(3, tuple(row[3]), f"Severe depression (PHQ-9 {phq9_total} >= {SEVERE_PHQ9}).")
    return Suggestion(2, tuple(row[2]), "Mild to moderate: step 2 first, stepping up if there is no improvement.")
