"""The expected course's rules as plain functions (feedback/course.py)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback import course
from sessions import measures


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [([1], 0.75, 1), ([1, 2], 0.5, 1.5), ([1, 2, 3, 4], 0.75, 3.25), ([4, 1, 3, 2], 0.5, 2.5), ([0, 10], 0.75, 7.5)],
)
def test_percentile_cont_interpolates_as_postgresql_does(values, fraction, expected):
    assert course.percentile_cont(values, fraction) == pytest.approx(expected)


@given(st.lists(st.integers(0, 27), min_size=1, max_size=50), st.floats(0, 1))
def test_percentile_lies_within_the_values_and_grows_with_the_fraction(values, fraction):
    value = course.percentile_cont(values, fraction)
    assert min(values) <= value <= max(values)
    assert course.percentile_cont(values, 0.5) <= course.percentile_cont(values, 0.75) + 1e-9


def test_percentile_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        course.percentile_cont([], 0.5)


@pytest.mark.parametrize("code", course.ESTIMATED)
def test_every_starting_score_falls_in_exactly_one_band_and_bands_ascend(code):
    instrument = measures.instrument(code)
    edges = course.band_edges(code)
    assert [u for u, _ in edges] == sorted(u for u, _ in edges)
    assert edges[-1][0] == instrument.max_total
    step = 0.01 if instrument.scoring == "mean" else 1
    value = instrument.item_min if instrument.scoring == "mean" else 0
    labels = {label for _, label in edges}
    while value <= instrument.max_total:
        assert course.starting_band(code, value) in labels
        value = round(value + step, 2)


def test_phq9_bands_are_its_published_severity_bands():
    assert course.starting_band("PHQ9", 16) == "moderately severe"
    assert course.starting_band("PHQ9", 9) == "mild"
    assert course.starting_band("SPIN", 18) == "below caseness"  # cut-off 19
    assert course.starting_band("SPIN", 19) == "caseness"
    assert course.starting_band("SPIN", 38) == "caseness"  # 19 + 2 x 10 - 1
    assert course.starting_band("SPIN", 39) == "well above caseness"


def _courses():
    # 40 courses starting at PHQ-9 16: session 2 scores 10..19 (four of each), session 3 all 12
    return [("PHQ9", [16, 10 + (i % 10), 12]) for i in range(40)]


def test_estimate_gives_the_median_and_the_upper_boundary_per_band_and_session():
    points = course.estimate(_courses(), percentile=0.75, min_sample=30)
    second = points[("PHQ9", "moderately severe", 2)]
    assert (second.n, second.expected, second.upper) == (
        40,
        14.5,
        course.percentile_cont([10 + i % 10 for i in range(40)], 0.75),
    )
    assert points[("PHQ9", "moderately severe", 3)].upper == 12


def test_too_few_courses_give_no_boundary_and_so_no_flag():
    points = course.estimate(_courses()[:29], min_sample=30)
    assert points == {}
    assert course.not_on_track(points, "PHQ9", 16, 2, 27) is None


def test_not_on_track_above_the_boundary_only_and_never_at_the_start():
    points = course.estimate(_courses(), percentile=0.75, min_sample=30)
    upper = points[("PHQ9", "moderately severe", 2)].upper
    assert course.not_on_track(points, "PHQ9", 16, 2, upper + 1) is True
    assert course.not_on_track(points, "PHQ9", 16, 2, upper) is False
    assert course.not_on_track(points, "PHQ9", 16, 1, 27) is None
    assert course.not_on_track(points, "PHQ9", 3, 2, 27) is None  # no boundary for the minimal band
    assert course.not_on_track(points, "PHQ9", 16, 9, 27) is None  # past the estimated sessions
