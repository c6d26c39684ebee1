"""Called by appointments.services.appointment_book, in its transaction (this floor
is above the appointments floor, so it registers itself there)."""

from outbox.services import outbox_enqueue


def appointment_booked(appointment) -> None:
    """Sends the questionnaire link once the booking commits: the outbox row is
    part of the booking's transaction (a broker outage delays it, never loses it);
    the task takes the appointment's id only."""
    outbox_enqueue(task="questionnaires.send_booked_link", args=[appointment.pk])
