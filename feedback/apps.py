from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Outcome feedback: the expected course of recovery from the service's own
    finished courses, and "not on track" against its upper boundary. Floor:
    above sessions (it reads their scores), below supervision (which flags)."""

    name = "feedback"
    verbose_name = "Outcome feedback"

    def ready(self):
        # The record page (sessions, below) draws the expected course through its hook (decision 021).
        from sessions.hooks import register

        from .services import record_expected_course

        register(record_expected_course)
