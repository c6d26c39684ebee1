from django.db import models
from django.db.models import Q
from django.utils import timezone


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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument", "band", "session_number"], name="expected_course_point_unique"
            ),
        ]

    def __str__(self):
        return f"{self.instrument} {self.band} session {self.session_number}: {self.expected:g} (upper {self.upper:g})"
