"""The starting-score bounds PostgreSQL keeps on each point of the expected course
(feedback.models.ExpectedCoursePoint.band_above / band_upto), which the
not-on-track check joins on instead of working out the band's label: for every
measure and every starting score it can take, exactly one point's bounds hold
it, the point of course.starting_band's label (the specification)."""

import pytest

from feedback import course
from feedback.models import ExpectedCourse, ExpectedCoursePoint
from sessions import measures
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def _starting_scores(code: str) -> list[float]:
    instrument = measures.instrument(code)
    top = float(instrument.max_total)
    if instrument.scoring == "mean":  # MI: item means, two decimals as stored
        return [round(i * 0.01, 2) for i in range(0, int(top * 100) + 1)]
    return [float(i) for i in range(0, int(top) + 1)]


@pytest.mark.parametrize("code", course.ESTIMATED)
def test_each_starting_score_lies_in_the_bounds_of_exactly_its_bands_point(code):
    # given a course with one point per band of the measure
    expected = ExpectedCourse.objects.create(
        service=ServiceFactory(), version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=1
    )
    for _, label in course.band_edges(code):
        ExpectedCoursePoint.objects.create(
            course=expected, instrument=code, band=label, session_number=2, n=30, expected=1, upper=2
        )
    bounds = list(ExpectedCoursePoint.objects.filter(course=expected).values_list("band", "band_above", "band_upto"))

    # then every score the measure can start at falls in the bounds of one point: its band's
    for score in _starting_scores(code):
        holding = [band for band, above, upto in bounds if above < score <= upto]
        assert holding == [course.starting_band(code, score)], (code, score)


def test_a_band_the_measure_does_not_have_has_no_bounds_and_so_matches_no_score():
    expected = ExpectedCourse.objects.create(
        service=ServiceFactory(), version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=1
    )
    point = ExpectedCoursePoint.objects.create(
        course=expected, instrument="PHQ9", band="caseness", session_number=2, n=30, expected=1, upper=2
    )
    point.refresh_from_db()
    assert (point.band_above, point.band_upto) == (None, None)
