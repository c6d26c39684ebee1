"""The expected course of recovery and its upper tolerance boundary (DOMAIN.md
"Outcome feedback"; Delgadillo et al., Lancet Psychiatry 2018; Lucock et al.
2015). The specification in plain Python, no Django imports: the SQL that
estimates the boundaries nightly (feedback/sql.py) is tested against it.

- A **finished course** is a referral that ended after at least 2 attended
  treatment appointments (DOMAIN.md "Outcomes").
- The **session number** of a score is its place among the course's complete
  scores of that measure, in time order: 1 is the starting score.
- Courses are grouped by the **starting severity band** of the measure: the
  instrument's own published bands where it has them (PHQ-9, GAD-7), otherwise
  three bands around its caseness cut-off and reliable change: below caseness;
  caseness up to twice the reliable change above the cut-off; above that.
- For each (measure, band, session number): the **expected** score is the median
  and the **upper boundary** the configured percentile (75th by default) of the
  scores of the finished courses, both as PostgreSQL's `percentile_cont`
  (linear interpolation between the two nearest ranks).
- A band and session with fewer than the minimum number of courses has no
  boundary: DOMAIN.md gives no national figures with a source to fall back on,
  so no flag is raised there and the chart says so.
- A score is **not on track** when it lies above the upper boundary for its
  measure, starting band and session number."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sessions import measures

METHOD = "percentile_cont per starting-severity band and session number"
DEFAULT_PERCENTILE = 0.75
DEFAULT_MIN_SAMPLE = 30
MAX_SESSION = 12
ESTIMATED = ("PHQ9", "GAD7", "SPIN", "PDSS", "PCL5", "IESR", "MI", "OCI", "HAI")


def band_edges(code: str) -> tuple[tuple[float, str], ...]:
    """The starting-severity bands of a measure as (upper bound inclusive, label),
    ascending; the last bound is the measure's maximum."""
    instrument = measures.instrument(code)
    if instrument.bands:
        return instrument.bands
    cut, rc, top = instrument.cutoff, instrument.reliable_change, instrument.max_total
    below = "below caseness"
    if instrument.scoring == "mean":  # MI: caseness is strictly above 2.3
        return ((cut, below), (min(cut + 2 * rc, top), "caseness"), (top, "well above caseness"))
    return ((cut - 1, below), (min(cut + 2 * rc - 1, top), "caseness"), (top, "well above caseness"))


def starting_band(code: str, first_total: float) -> str:
    """The label of the band the starting score falls in."""
    for upper, label in band_edges(code):
        if first_total <= upper:
            return label
    return band_edges(code)[-1][1]


def percentile_cont(values: Sequence[float], fraction: float) -> float:
    """PostgreSQL's percentile_cont: linear interpolation between the two ranks
    around fraction * (n - 1) of the sorted values. ValueError when empty."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class Point:
    instrument: str
    band: str
    session_number: int
    n: int
    expected: float
    upper: float


def estimate(
    courses: Iterable[tuple[str, Sequence[float]]],
    *,
    percentile: float = DEFAULT_PERCENTILE,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    max_session: int = MAX_SESSION,
) -> dict[tuple[str, str, int], Point]:
    """The boundaries from finished courses, each given as (measure, its complete
    scores in time order). Keyed by (measure, starting band, session number);
    points with fewer than `min_sample` courses are left out."""
    groups: dict[tuple[str, str, int], list[float]] = defaultdict(list)
    for code, totals in courses:
        if not totals or code not in ESTIMATED:
            continue
        band = starting_band(code, totals[0])
        for k, total in enumerate(totals[:max_session], start=1):
            groups[(code, band, k)].append(float(total))
    return {
        key: Point(*key, len(values), percentile_cont(values, 0.5), percentile_cont(values, percentile))
        for key, values in groups.items()
        if len(values) >= min_sample
    }


def not_on_track(
    boundaries: dict[tuple[str, str, int], Point], code: str, first_total: float, session_number: int, total: float
) -> bool | None:
    """True when the score lies above the upper boundary for its measure, starting
    band and session number; False when within it; None when there is no
    boundary there (the starting score itself, too few courses, or past the
    estimated sessions)."""
    if session_number < 2:
        return None
    point = boundaries.get((code, starting_band(code, first_total), session_number))
    if point is None:
        return None
    return total > point.upper
