from django.apps import AppConfig


class QuestionnairesConfig(AppConfig):
    """Questionnaires before the appointment (issue 20): one-time links sent when
    an appointment is booked, the patient's answers stored as patient-reported
    scores outside a contact (IDS606). Above supervision: a PHQ-9 item 9 answer
    above 0 reaches the practitioner and the duty worker as a flag."""

    name = "questionnaires"
    verbose_name = "Questionnaires"

    def ready(self):
        from appointments.services import BOOKED_HOOKS

        from .hooks import appointment_booked

        if appointment_booked not in BOOKED_HOOKS:
            BOOKED_HOOKS.append(appointment_booked)
