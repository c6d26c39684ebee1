from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils import timezone

from . import course

# Beyond any score (totals are numeric(6,2)): the open ends of a measure's first
# and last bands, as course.starting_band leaves them open.
_OPEN_END = 1e9


def _band_bound(side: str) -> Case:
    """The lower (exclusive, `side` "above") or upper (inclusive, "upto") bound
    of the starting score of the point's band, from course.band_edges: a
    starting score s falls in the band exactly when above < s <= upto (the rule
    of course.starting_band). NULL for a band the measure does not have."""
    whens = []
    for code in course.ESTIMATED:
        edges = course.band_edges(code)
        for j, (upper, label) in enumerate(edges):
            if side == "above":
                bound = -_OPEN_END if j == 0 else float(edges[j - 1][0])
            else:
                bound = _OPEN_END if j == len(edges) - 1 else float(upper)
            whens.append(When(instrument=code, band=label, then=Value(bound)))
    return Case(*whens, default=None, output_field=models.FloatField())


class ExpectedCourse(models.Model):
    """One nightly estimation of a service's expected course of recovery
    (feedback/course.py): versioned, with its parameters and sample size. The
    newest version is the one in use."""

    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT, related_name="expected_courses")
    version = models.PositiveIntegerField()
    computed_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=120)
    percentile = models.DecimalField(max_digits=4, decimal_places=3)
    min_sample = models.PositiveIntegerField()
    max_session = models.PositiveSmallIntegerField()
    courses = models.PositiveIntegerField(help_text="Finished courses the estimation read")

    class Meta:
        ordering = ["service", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["service", "version"], name="expected_course_one_per_version"),
            models.CheckConstraint(
                condition=Q(percentile__gt=0.5, percentile__lt=1), name="expected_course_percentile"
            ),
        ]

    def __str__(self):
        return f"Expected course v{self.version} ({self.courses} finished courses)"


class ExpectedCoursePoint(models.Model):
    """The expected score and the upper boundary of one measure, starting band
    and session number, with the number of courses it came from."""

    course = models.ForeignKey(ExpectedCourse, on_delete=models.CASCADE, related_name="points")
    instrument = models.CharField(max_length=10)
    band = models.CharField(max_length=40)
    session_number = models.PositiveSmallIntegerField()
    n = models.PositiveIntegerField()
    expected = models.FloatField()
    upper = models.FloatField()
    # The band's starting scores, kept by PostgreSQL from (instrument, band): the
    # not-on-track check (supervision/sweep.py) finds a case's point by
    # band_above < starting score <= band_upto instead of working out the band's
    # label in every session's save (issue 21: under 1 ms a session).
    band_above = models.GeneratedField(
        expression=_band_bound("above"), output_field=models.FloatField(), db_persist=True
    )
    band_upto = models.GeneratedField(expression=_band_bound("upto"), output_field=models.FloatField(), db_persist=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument", "band", "session_number"], name="expected_course_point_unique"
            ),
        ]

    def __str__(self):
        return f"{self.instrument} {self.band} session {self.session_number}: {self.expected:g} (upper {self.upper:g})"
