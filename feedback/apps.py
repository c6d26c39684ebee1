from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    """Outcome feedback: the expected course of recovery from the service's own
    finished courses, and "not on track" against its upper boundary. Floor:
    above sessions (it reads their scores), below supervision (which flags)."""

    name = "feedback"
    verbose_name = "Outcome feedback"
