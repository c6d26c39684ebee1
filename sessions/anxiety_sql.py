"""The anxiety measure a case is judged on, in SQL: the problem descriptor's
ADSM when it has paired scores, GAD-7 otherwise (DOMAIN.md "Measures", the
national back-up rule; sessions.measures.anxiety_measure_used is the same rule
in Python). One text shared by the outcome SELECT (reports/sql.py) and the
supervision criteria (supervision/sweep.py), so the report and the flags never
read different measures for one case.

Thresholds and reliable change values are query parameters read from
sessions.measures.INSTRUMENTS: a change of reference data needs no SQL change.
No Django imports."""

from __future__ import annotations

from patients.codes import ProblemDescriptor

from . import measures

DEPRESSION_INSTRUMENT = "PHQ9"
DEFAULT_ANXIETY_INSTRUMENT = "GAD7"


def reference_values(params: dict) -> tuple[str, str]:
    """Two VALUES lists, their parameters added to `params`:
    - `(descriptor, instrument)`: the ADSM of every problem descriptor that has one;
    - `(code, cutoff, inclusive, rc)`: the thresholds of every anxiety measure.
    The depression measure's thresholds become scalar parameters phq_cut,
    phq_inc and phq_rc."""
    phq = measures.INSTRUMENTS[DEPRESSION_INSTRUMENT]
    params.update(phq_cut=phq.cutoff, phq_inc=bool(phq.cutoff_inclusive), phq_rc=phq.reliable_change)
    anxiety_codes = {DEFAULT_ANXIETY_INSTRUMENT}
    descriptor_rows = []
    for index, descriptor in enumerate(ProblemDescriptor.values):
        code = measures.anxiety_instrument_for(descriptor) or DEFAULT_ANXIETY_INSTRUMENT
        if code == DEFAULT_ANXIETY_INSTRUMENT:
            continue
        anxiety_codes.add(code)
        params[f"d{index}"] = descriptor
        params[f"d{index}_anx"] = code
        descriptor_rows.append(f"(%(d{index})s::text, %(d{index}_anx)s::text)")
    if not descriptor_rows:  # VALUES needs a row; this one matches no referral
        descriptor_rows.append("(NULL::text, NULL::text)")
    instrument_rows = []
    for index, code in enumerate(sorted(anxiety_codes)):
        instrument = measures.INSTRUMENTS[code]
        params[f"i{index}"] = code
        params[f"i{index}_cut"] = instrument.cutoff
        params[f"i{index}_inc"] = bool(instrument.cutoff_inclusive)
        params[f"i{index}_rc"] = instrument.reliable_change
        instrument_rows.append(
            f"(%(i{index})s::text, %(i{index}_cut)s::numeric, %(i{index}_inc)s::boolean, %(i{index}_rc)s::numeric)"
        )
    params.setdefault("gad", DEFAULT_ANXIETY_INSTRUMENT)
    params.setdefault("paired_min", measures.PAIRED_SCORES)
    return ",\n    ".join(instrument_rows), ",\n        ".join(descriptor_rows)


def choice_sql(m: str, instruments: str) -> str:
    """`CROSS JOIN LATERAL (...) a` choosing the anxiety measure of each row of
    `m` (columns adsm, adsm_first, adsm_last, adsm_scores, gad_first, gad_last,
    gad_scores), then `LEFT JOIN (VALUES ...) ai` with its cut-off, whether the
    cut-off is inclusive, and its reliable change. a.code, a.first, a.last,
    a.scores; ai.cutoff, ai.inclusive, ai.rc."""
    return f"""CROSS JOIN LATERAL (
    SELECT CASE WHEN {m}.adsm_scores >= %(paired_min)s THEN {m}.adsm ELSE %(gad)s END AS code,
           CASE WHEN {m}.adsm_scores >= %(paired_min)s THEN {m}.adsm_first ELSE {m}.gad_first END AS first,
           CASE WHEN {m}.adsm_scores >= %(paired_min)s THEN {m}.adsm_last ELSE {m}.gad_last END AS last,
           CASE WHEN {m}.adsm_scores >= %(paired_min)s THEN {m}.adsm_scores ELSE {m}.gad_scores END AS scores
) a
LEFT JOIN (VALUES
    {instruments}
) AS ai(code, cutoff, inclusive, rc) ON ai.code = a.code"""


def at_caseness_sql(value: str, *, anxiety: bool) -> str:
    """`value` at or above its measure's cut-off (strictly above where the
    cut-off is exclusive): the anxiety measure's from `ai`, PHQ-9's from the
    scalar parameters."""
    if anxiety:
        return f"(CASE WHEN ai.inclusive THEN {value} >= ai.cutoff ELSE {value} > ai.cutoff END)"
    return (
        f"(CASE WHEN %(phq_inc)s::boolean THEN {value} >= %(phq_cut)s::numeric ELSE {value} > %(phq_cut)s::numeric END)"
    )
