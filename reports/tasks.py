"""Thin Celery tasks: they take a job's id, never patient data."""

from celery import shared_task
from django.conf import settings


@shared_task(bind=True, acks_late=True, max_retries=5)
def run_export(self, job_id: str) -> None:
    """Runs the export; a redelivered message for a job another run still holds
    (a pool process just killed, its heartbeat not yet stale) looks again once
    that heartbeat would be stale, and reruns the job if it is."""
    from .services import export_job_held_elsewhere, export_job_run

    if export_job_run(job_id=job_id) is None and export_job_held_elsewhere(job_id=job_id):
        raise self.retry(countdown=settings.EXPORT_STALE_SECONDS + 1)


@shared_task(name="reports.reap_exports")
def reap_exports() -> dict:
    """Every minute: reruns or fails exports whose worker died; removes stale .part files."""
    from .services import export_jobs_reap

    return export_jobs_reap()


@shared_task
def expire_exports() -> int:
    from .services import export_jobs_expire

    return export_jobs_expire()


@shared_task(name="reports.refresh_outcomes")
def refresh_outcomes() -> int:
    """Every minute: the outcome summaries of the referrals queued since the last run."""
    from .outcome_summary import outcomes_refresh_all

    return outcomes_refresh_all()
