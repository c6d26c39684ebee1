"""Thin Celery tasks: they take a job's id, never patient data."""

from celery import shared_task


@shared_task(acks_late=True)
def run_export(job_id: str) -> None:
    from .services import export_job_run

    export_job_run(job_id=job_id)


@shared_task
def expire_exports() -> int:
    from .services import export_jobs_expire

    return export_jobs_expire()


@shared_task(name="reports.refresh_outcomes")
def refresh_outcomes() -> int:
    """Every minute: the outcome summaries of the referrals queued since the last run."""
    from .outcome_summary import outcomes_refresh_all

    return outcomes_refresh_all()
