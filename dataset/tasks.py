"""Thin Celery tasks: they take an extract's id, never patient data."""

from celery import shared_task


@shared_task(acks_late=True)
def build_extract(extract_id: str) -> None:
    from .services import dataset_extract_build

    dataset_extract_build(extract_id=extract_id)


@shared_task
def schedule_extracts() -> int:
    """Daily: on the first working day of the month, the previous month's extracts."""
    from .services import dataset_extracts_schedule

    return dataset_extracts_schedule()


@shared_task
def rerun_stale_extracts() -> int:
    from .services import dataset_extracts_rerun_stale

    return dataset_extracts_rerun_stale()
