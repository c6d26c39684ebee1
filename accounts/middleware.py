import re
import time
import uuid
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django_otp import user_has_device

from .audit import client_ip_var, client_request_id_var, request_id_var

_REQUEST_ID = re.compile(r"^[A-Za-z0-9\-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request the server's own id and makes it, the client's id and
    the client address available to the audit log.

    The request id in an audit row is always generated here: a client could
    otherwise choose it, reuse another request's id, and blur the trail (ASVS
    7.1). A client's X-Request-ID, when well formed, is kept in its own field
    (client_request_id) for correlating with the caller's logs; a malformed one
    is dropped. The response carries the server's id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = uuid.uuid4().hex
        request.client_request_id = incoming if _REQUEST_ID.match(incoming) else ""
        id_token = request_id_var.set(request.request_id)
        client_token = client_request_id_var.set(request.client_request_id)
        ip_token = client_ip_var.set(request.META.get("REMOTE_ADDR") or None)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(id_token)
            client_request_id_var.reset(client_token)
            client_ip_var.reset(ip_token)
        response["X-Request-ID"] = request.request_id
        return response


def _passive(request) -> bool:
    """A request the page makes by itself (a form's draft autosave, a view
    marked `passive = True`) is not activity: it must not keep an idle session
    alive (issue 15)."""
    from django.urls import Resolver404, resolve

    if request.method != "POST" or "/drafts/" not in request.path_info:
        return False
    try:
        return getattr(resolve(request.path_info).func, "passive", False)
    except Resolver404:
        return False


class IdleTimeoutMiddleware:
    """Ends a session left idle for SESSION_IDLE_TIMEOUT seconds (DSPT, ASVS 3.3.2):
    the next request logs the user out and sends them to log in again, back to
    the page they asked for. The last activity is written at most once a minute,
    so a busy user does not cost a session write on every request.

    Pages served to a logged-in user are marked never to be stored by the
    browser or a proxy (ASVS 8.2.1), so a patient's record cannot be read back
    from a shared computer's cache after the session ended."""

    KEY = "last_activity"  # also set at log in (accounts.signals)
    WRITE_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if last is not None and now - last > settings.SESSION_IDLE_TIMEOUT:
                logout(request)
                messages.info(request, "You were logged out after a period of inactivity. Please log in again.")
                return redirect_to_login(request.get_full_path())
            if (last is None or now - last >= self.WRITE_EVERY) and not _passive(request):
                request.session[self.KEY] = now
            response = self.get_response(request)
            if "Cache-Control" not in response:
                add_never_cache_headers(response)
            return response
        return self.get_response(request)


def otp_exempt(view):
    """Marks a view an unverified user may reach: the two-factor pages and log out."""
    view.otp_exempt = True
    return view


class OTPRequiredMiddleware:
    """With OTP_REQUIRED on (production), a logged-in user who has not passed
    two-factor authentication this session reaches only the two-factor pages:
    set-up when they have no confirmed authenticator, verification otherwise."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.OTP_REQUIRED:
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return None
        if getattr(view_func, "otp_exempt", False) or not getattr(view_func, "login_required", True):
            return None
        target = "two_factor_verify" if user_has_device(user, confirmed=True) else "two_factor_setup"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
