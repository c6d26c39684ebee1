"""Writes about accounts: the sessions a user holds, their authenticators, API
tokens (issued per user, stored hashed, shown once), and the administration of
users and supervision assignments (every change audited with before and after
values; docs/decisions/011-system-administrator-and-staff-changes.md)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import datetime

import segno
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from .audit import audit_record
from .models import AccessAction, ApiToken, Role, SupervisionAssignment, User, UserSession

TOKEN_PREFIX = "iapt_"  # noqa: S105 - a visible marker, not a secret


@transaction.atomic
def user_session_register(*, user: User, session) -> None:
    """Records that this (saved) session belongs to the user."""
    if session.session_key is None:
        session.save()
    UserSession.objects.update_or_create(session_id=session.session_key, defaults={"user": user})


@transaction.atomic
def user_sessions_end(*, user: User, keep_session_key: str | None = None) -> int:
    """Ends every session of the user except `keep_session_key`, set-based: on
    log out (all the others) and on a password change (all but the current one).
    Returns how many sessions were ended."""
    mine = UserSession.objects.filter(user=user)
    if keep_session_key:
        mine = mine.exclude(session_id=keep_session_key)
    # Deleting the sessions deletes their UserSession rows too (CASCADE).
    count, _ = Session.objects.filter(session_key__in=list(mine.values_list("session_id", flat=True))).delete()
    return count


@transaction.atomic
def user_totp_device_pending(*, user: User) -> TOTPDevice:
    """The user's authenticator being set up (unconfirmed), made on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


@transaction.atomic
def user_totp_device_confirm(*, device: TOTPDevice, token: str) -> bool:
    """Confirms the authenticator when the code it shows is right (the device
    throttles repeated wrong codes)."""
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    return True


def totp_enrolment_details(*, device: TOTPDevice) -> dict:
    """What the set-up page shows: the secret to type in, and the same as a QR
    code (an SVG data: URI, allowed by the CSP's img-src)."""
    secret = base64.b32encode(device.bin_key).decode()
    return {
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "qr_data_uri": segno.make(device.config_url, error="m").svg_data_uri(scale=4),
    }


def api_token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, which is never
    stored and cannot be shown again. The token acts as the user: the same
    access policy, the same audit. `expires_at` (aware datetime, in the future)
    ends it by itself; None keeps it until revoked, a password change, a
    password reset or the user's deactivation (issue 13, finding 9)."""
    if not user.is_active:
        raise ValidationError("Tokens are issued only to active users.")
    if not name.strip():
        raise ValidationError({"name": "Say what the token is for."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        digest=api_token_digest(secret),
        expires_at=expires_at,
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User) -> int:
    """Revokes every live token of the user, set-based; returns how many. Called
    whenever the user's password changes or is reset and when they are
    deactivated: a token must not outlive the credentials it was issued under."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- administration of users (issue 13, finding 1) ----------------------------

# Every change to these is audited with its before and after values.
AUDITED_USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "band",
    "is_trainee",
    "training_start",
    "service",
    "team",
    "is_active",
    "is_staff",
    "is_superuser",
)
# Nobody may change these on their own account: they widen or keep access.
SELF_PROTECTED_FIELDS = ("role", "service", "team", "is_active", "is_staff", "is_superuser")


def _audit_value(value):
    if value is None or isinstance(value, bool | int | str):
        return value
    if hasattr(value, "pk"):
        return str(value)
    return str(value)


def _user_snapshot(user: User) -> dict:
    return {name: getattr(user, name) for name in AUDITED_USER_FIELDS}


def _service_ids(*users_or_snapshots) -> list[int]:
    ids = set()
    for item in users_or_snapshots:
        service = item.get("service") if isinstance(item, dict) else getattr(item, "service", None)
        if service is not None:
            ids.add(service.pk)
    return sorted(ids)


def _audit_staff_change(*, actor, subject: User, event: str, changes: dict, service_ids: list[int], action: str):
    audit_record(
        user=actor,
        action=action,
        object_type="user",
        object_id=subject.pk,
        detail={"event": event, "subject": subject.username, "changes": changes, "service_ids": service_ids},
    )


def _notify_user(*, user: User, subject: str, body: str) -> None:
    """Tells the user, by email after the commit, what was done to their
    account; no patient detail is ever in it."""
    if not user.email:
        return
    address = user.email
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=False))


def password_set_link(*, user: User, site_url: str) -> str:
    """The one-use link to set a new password (Django's reset token: it stops
    working once the password changes, and after PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "password_set",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return site_url.rstrip("/") + path


@transaction.atomic
def user_admin_save(*, actor: User | None, user: User, event: str | None = None) -> User:
    """Saves a user edited (or added) by an administrator, and audits each change.

    user: the edited instance, not yet saved (a new one has no pk).
    Rules: nobody changes their own role, service, team, staff, superuser or
    active state (ValidationError); the admin-site flag follows the role (only
    a system administrator, or an existing superuser, reaches the admin); a
    deactivated user loses every session and API token at once. The audit row
    holds before and after values and the services concerned, which the staff
    changes page of those services' managers reads. Source: issue 13."""
    created = user.pk is None
    before = {} if created else _user_snapshot(User.objects.select_for_update().get(pk=user.pk))
    user.is_staff = user.role == Role.SYSTEM_ADMIN or user.is_superuser
    after = _user_snapshot(user)
    changes = {
        name: {"before": _audit_value(before.get(name)), "after": _audit_value(after[name])}
        for name in AUDITED_USER_FIELDS
        if created or before[name] != after[name]
    }
    if not created and actor is not None and actor.pk == user.pk:
        own = sorted(set(changes) & set(SELF_PROTECTED_FIELDS))
        if own:
            raise ValidationError(f"You cannot change your own {', '.join(own)}.")
    if created:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if before.get("is_active") and not user.is_active:
        user_sessions_end(user=user)
        api_tokens_revoke_all(user=user)
    if changes:
        _audit_staff_change(
            actor=actor,
            subject=user,
            event=event or ("created" if created else "changed"),
            changes=changes,
            service_ids=_service_ids(before, after),
            action=AccessAction.CREATE if created else AccessAction.UPDATE,
        )
    return user


@transaction.atomic
def user_password_reset(*, actor: User, user: User, site_url: str) -> None:
    """An administrator's reset of a user's password: the old password stops
    working at once (made unusable), every session and API token of the user
    ends, and the user is emailed a one-use link to set a new one. The
    administrator never learns or chooses the password. Audited."""
    user.set_unusable_password()
    user.save(update_fields=["password"])
    user_sessions_end(user=user)
    revoked = api_tokens_revoke_all(user=user)
    link = password_set_link(user=user, site_url=site_url)
    _audit_staff_change(
        actor=actor,
        subject=user,
        event="password_reset",
        changes={"api_tokens_revoked": {"before": None, "after": revoked}},
        service_ids=_service_ids(user),
        action=AccessAction.UPDATE,
    )
    _notify_user(
        user=user,
        subject="Your Talking Therapies password was reset",
        body=(
            f"{actor.get_full_name() or actor.username} reset your password. Your old password no longer works.\n\n"
            f"Set a new password here (the link works once):\n{link}\n\n"
            "If you did not expect this, tell your service manager."
        ),
    )


@transaction.atomic
def user_invite(*, actor: User | None, user: User, site_url: str) -> None:
    """Emails a newly added user the link to set their first password."""
    link = password_set_link(user=user, site_url=site_url)
    _notify_user(
        user=user,
        subject="Your Talking Therapies account",
        body=f"An account was made for you ({user.username}). Set your password here (the link works once):\n{link}",
    )


@transaction.atomic
def user_second_factor_reset(*, actor: User, user: User) -> int:
    """An administrator's reset of a user's second factor (a lost phone): every
    authenticator of the user is removed and every session ends, so the next
    log-in enrols a new authenticator app. Nobody is ever shown the secret.
    The user is told by email. Audited. Returns the number of authenticators removed."""
    removed, _ = TOTPDevice.objects.filter(user=user).delete()
    user_sessions_end(user=user)
    _audit_staff_change(
        actor=actor,
        subject=user,
        event="second_factor_reset",
        changes={"authenticators_removed": {"before": None, "after": removed}},
        service_ids=_service_ids(user),
        action=AccessAction.UPDATE,
    )
    _notify_user(
        user=user,
        subject="Your Talking Therapies two-factor authentication was reset",
        body=(
            f"{actor.get_full_name() or actor.username} reset your two-factor authentication. At your next log-in "
            "you will set up your authenticator app again.\n\nIf you did not expect this, tell your service manager."
        ),
    )
    return removed


@transaction.atomic
def user_password_changed(*, user: User, keep_session_key: str | None, event: str) -> int:
    """After the user's own password change (or setting one from a reset link):
    every other session ends and every API token is revoked (ASVS 3.3.3; issue
    13, finding 9). Audited. Returns the number of tokens revoked."""
    user_sessions_end(user=user, keep_session_key=keep_session_key)
    revoked = api_tokens_revoke_all(user=user)
    _audit_staff_change(
        actor=user,
        subject=user,
        event=event,
        changes={"api_tokens_revoked": {"before": None, "after": revoked}},
        service_ids=_service_ids(user),
        action=AccessAction.UPDATE,
    )
    return revoked


SUPERVISION_AUDITED_FIELDS = ("supervisor", "supervisee", "kind", "started", "ended")


@transaction.atomic
def supervision_assignment_save(*, actor: User | None, assignment: SupervisionAssignment) -> SupervisionAssignment:
    """Saves a supervision assignment (who supervises whom, from when to when),
    which decides whose caseloads a supervisor reads; audits before and after."""
    created = assignment.pk is None
    before = (
        {}
        if created
        else {
            name: getattr(SupervisionAssignment.objects.select_for_update().get(pk=assignment.pk), name)
            for name in SUPERVISION_AUDITED_FIELDS
        }
    )
    assignment.full_clean()
    assignment.save()
    after = {name: getattr(assignment, name) for name in SUPERVISION_AUDITED_FIELDS}
    changes = {
        name: {"before": _audit_value(before.get(name)), "after": _audit_value(after[name])}
        for name in SUPERVISION_AUDITED_FIELDS
        if created or before[name] != after[name]
    }
    if changes:
        people = [before.get("supervisor"), before.get("supervisee"), assignment.supervisor, assignment.supervisee]
        audit_record(
            user=actor,
            action=AccessAction.CREATE if created else AccessAction.UPDATE,
            object_type="supervision_assignment",
            object_id=assignment.pk,
            detail={
                "event": "created" if created else "changed",
                "subject": f"{assignment.supervisor.username} supervises {assignment.supervisee.username}",
                "changes": changes,
                "service_ids": _service_ids(*[p for p in people if p is not None]),
            },
        )
    return assignment


@transaction.atomic
def system_admin_create(*, username: str, email: str, password: str) -> User:
    """The first system administrator of a new installation (manage.py
    create_system_admin): a user with the system administrator role and the
    admin site, never a Django superuser, so no patient record opens to it.
    The password is checked by the password validators. Audited as made by the
    command."""
    from django.contrib.auth.password_validation import validate_password

    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": f"A user {username!r} exists already."})
    user = User(username=username, email=email, role=Role.SYSTEM_ADMIN, band=None, service=None)
    validate_password(password, user)
    user_admin_save(actor=None, user=user, event="created_by_command")
    user.set_password(password)
    user.save(update_fields=["password"])
    return user
