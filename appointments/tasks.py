"""Thin tasks: ids in, a service out (appointments/reminders.py)."""

from celery import shared_task

from . import reminders


@shared_task(name="appointments.reminders_sweep")
def reminders_sweep():
    return reminders.reminders_sweep()


@shared_task(name="appointments.send_reminders")
def send_reminders(appointment_ids):
    return reminders.reminders_send(appointment_ids=[str(i) for i in appointment_ids])


@shared_task(name="appointments.resume_reminders")
def resume_reminders(reminder_ids):
    return reminders.reminders_resume(reminder_ids=[str(i) for i in reminder_ids])


@shared_task(name="appointments.reminders_delivery")
def reminders_delivery():
    return reminders.reminders_delivery_check()
