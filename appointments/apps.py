from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "appointments"
    verbose_name = "Appointments, diary and reminders"

    def ready(self):
        # Lower floors (the caseload, the waiting lists) show the next or first
        # booking through hooks they own; this floor fills them (decision 018).
        from . import hooks

        hooks.register()
