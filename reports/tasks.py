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
