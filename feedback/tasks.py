"""Thin Celery tasks: nothing but ids, never patient data."""

from celery import shared_task


@shared_task(name="feedback.estimate_expected_courses")
def estimate_expected_courses() -> int:
    """Nightly: a new version of every service's expected course."""
    from django.conf import settings

    from accounts.models import Service

    from .services import expected_course_estimate

    options = getattr(settings, "OUTCOME_FEEDBACK", {})
    count = 0
    for service in Service.objects.order_by("pk"):
        expected_course_estimate(
            service=service,
            percentile=options.get("percentile", 0.75),
            min_sample=options.get("min_sample", 30),
        )
        count += 1
    return count
