"""Thin tasks: an appointment's id in, a service out (questionnaires/services.py)."""

from celery import shared_task

from . import services
from .models import LinkKind


@shared_task(name="questionnaires.send_booked_link")
def send_booked_link(appointment_id):
    return services.link_send(appointment_id=str(appointment_id), kind=LinkKind.BOOKED)


@shared_task(name="questionnaires.send_day_before_link")
def send_day_before_link(appointment_id):
    return services.link_send(appointment_id=str(appointment_id), kind=LinkKind.DAY_BEFORE)


@shared_task(name="questionnaires.day_before_sweep")
def day_before_sweep():
    """Hourly: queues the day-before link of each appointment tomorrow not yet done."""
    ids = services.day_before_due()
    for appointment_id in ids:
        send_day_before_link.delay(str(appointment_id))
    return len(ids)
