from celery import shared_task

from .services import outbox_relay


@shared_task(name="outbox.relay")
def relay() -> int:
    return outbox_relay()
