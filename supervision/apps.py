from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "supervision"
    verbose_name = "Supervision"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from outbox.services import outbox_register_in_transaction

        from .sweep import flags_raise_now
        from .unread import on_login

        # A session, risk event or step proposal raises its flag in its own transaction (issue 16 item 4).
        outbox_register_in_transaction(task="supervision.flag_referral", handler=flags_raise_now)
        user_logged_in.connect(on_login, dispatch_uid="supervision_unread_on_login")

        # The record shows the open not-on-track flag in words right after the session's save (issue 21).
        from sessions.hooks import register

        from .selectors import record_not_on_track

        register(record_not_on_track)
