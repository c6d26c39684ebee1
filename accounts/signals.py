"""Django's own login and logout signals are the only place every way of
logging in and out passes (the login view, the admin, test clients), so the
session bookkeeping hangs off them; the work itself is in services."""

import time

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from . import services


@receiver(user_logged_in, dispatch_uid="accounts_register_session")
def register_session(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        services.user_session_register(user=user, session=request.session)
        # The idle clock starts at log in (accounts.middleware.IdleTimeoutMiddleware).
        request.session["last_activity"] = int(time.time())


@receiver(user_logged_out, dispatch_uid="accounts_end_other_sessions")
def end_other_sessions(sender, request, user, **kwargs):
    if user is not None:
        services.user_sessions_end(user=user)
