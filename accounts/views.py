import logging
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from . import selectors, services
from .forms import LockoutPasswordChangeForm, TokenForm
from .middleware import otp_exempt
from .models import ApiToken, Role

# Security events (two-factor failures); user ids and addresses only.
security_log = logging.getLogger("accounts.security")


def home(request):
    """Each role lands on the page it works from (issue 16 item 5): a supervisor on
    supervision (their own caseload is one click away in the navigation), a manager
    on the service report, a referral administrator on the incoming referrals (the
    referral list where that page does not exist), a PWP or HIT on their caseload."""
    role = request.user.role
    if role == Role.SYSTEM_ADMIN:
        return redirect("admin:index")
    targets = {
        Role.PWP: "sessions:caseload",
        Role.HIT: "sessions:caseload",
        Role.SUPERVISOR: "supervision:dashboard",
        Role.SERVICE_MANAGER: "reports:service_report",
        # Incoming referrals (issue 15): unallocated, oldest first.
        Role.REFERRAL_ADMIN: "stepped_care:incoming",
    }
    return redirect(targets.get(role, "patients:referral_list"))


@login_not_required
def health(request):
    """Liveness and readiness for the load balancer and compose health checks."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means not ready
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


def alive(request):
    """The page's activity ping (static/js/activity.js): the user is typing, so
    the idle clock restarts (IdleTimeoutMiddleware did it on the way in)."""
    return HttpResponse(status=204)


def _ip(request) -> str:
    return request.META.get("REMOTE_ADDR") or "-"


@otp_exempt
def two_factor_setup(request):
    """Enrols an authenticator app: shows the new secret (once, until confirmed)
    and confirms it with a code the app generates."""
    if user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('two_factor_verify')}?{urlencode({'next': _next_url(request)})}")
    device = services.user_totp_device_pending(user=request.user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.user_totp_device_confirm(device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            messages.success(request, "Two-factor authentication is set up.")
            return redirect(_next_url(request))
        security_log.warning("two-factor set-up code refused for user %s from %s", request.user.pk, _ip(request))
        form.add_error("token", "That code does not match. Check the time on your phone and try the current code.")
    return render(
        request,
        "registration/two_factor_setup.html",
        {"form": form, "next": _next_url(request), **services.totp_enrolment_details(device=device)},
    )


@otp_exempt
def two_factor_verify(request):
    if not user_has_device(request.user, confirmed=True):
        return redirect(f"{reverse('two_factor_setup')}?{urlencode({'next': _next_url(request)})}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(request.user, form.cleaned_data["token"])
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        security_log.warning("two-factor code refused for user %s from %s", request.user.pk, _ip(request))
        form.add_error("token", "That code is not valid, or too many codes were tried: wait and try the current one.")
    return render(request, "registration/two_factor_verify.html", {"form": form, "next": _next_url(request)})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, which keeps this session; every other session
    of the user ends and every API token is revoked (ASVS 3.3.3; issue 13,
    finding 9). A wrong current password counts toward the log-in lockout; once
    locked, this session ends too and the lockout page answers (finding 7)."""

    success_url = reverse_lazy("home")
    form_class = LockoutPasswordChangeForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_invalid(self, form):
        if getattr(self.request, "axes_locked_out", False):
            # logging out ends every session of the user (accounts.signals);
            # AxesMiddleware turns the response into the lockout page.
            logout(self.request)
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_session_register(user=self.request.user, session=self.request.session)
        revoked = services.user_password_changed(
            user=self.request.user, keep_session_key=self.request.session.session_key, event="password_changed"
        )
        note = f" and {revoked} API token{'s' if revoked != 1 else ''} revoked" if revoked else ""
        messages.success(self.request, f"Your password was changed; your other sessions were logged out{note}.")
        return response


class PasswordSetView(auth_views.PasswordResetConfirmView):
    """Sets a new password from the one-use link an administrator's reset (or a
    new account) emailed: the administrator never knows the password. Every
    session and API token of the user ends (issue 13, findings 1 and 9)."""

    template_name = "registration/password_set.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form):
        response = super().form_valid(form)
        services.user_password_changed(user=form.user, keep_session_key=None, event="password_set_from_link")
        messages.success(self.request, "Your password is set. Log in with it now.")
        return response


def staff_changes(request):
    """Staff changes: every audited change to the service's staff accounts and
    supervision assignments, with before and after values (issue 13)."""
    entries = selectors.staff_changes_for_user(user=request.user)
    page = Paginator(entries, settings.ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/staff_changes.html", {"page": page})


TOKEN_EXPIRY_DAYS = ("30", "90", "365", "")  # "" is no expiry


def api_tokens(request):
    """The user's own API tokens: issue one (its secret shown on this response
    only, never stored) or revoke one."""
    secret, error = None, None
    if request.method == "POST":
        if "revoke" in request.POST:
            raw = request.POST.get("revoke", "").strip()
            if not raw.isdigit() or len(raw) > 18:
                raise Http404
            token = get_object_or_404(ApiToken, pk=int(raw), user=request.user)
            services.api_token_revoke(token=token)
        else:
            name = request.POST.get("name", "")
            days = request.POST.get("expires_days", "")
            if "\x00" in name or len(name) > 100:
                error = "Give a name of up to 100 characters."
            elif days not in TOKEN_EXPIRY_DAYS:
                error = "Choose when the token expires."
            else:
                expires_at = timezone.now() + timedelta(days=int(days)) if days else None
                try:
                    _, secret = services.api_token_issue(user=request.user, name=name, expires_at=expires_at)
                except ValidationError as exc:
                    error = " ".join(exc.messages)
    tokens = ApiToken.objects.filter(user=request.user)
    response = render(request, "accounts/api_tokens.html", {"tokens": tokens, "secret": secret, "error": error})
    response["Cache-Control"] = "no-store"  # the secret must not sit in a cache
    return response
