"""Writes about accounts: the sessions a user holds, their authenticators, and
API tokens (issued per user, stored hashed, shown once)."""

from __future__ import annotations

import base64
import hashlib
import secrets

import segno
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, User, UserSession

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
def api_token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, which is never
    stored and cannot be shown again. The token acts as the user: the same
    access policy, the same audit."""
    if not user.is_active:
        raise ValidationError("Tokens are issued only to active users.")
    if not name.strip():
        raise ValidationError({"name": "Say what the token is for."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], prefix=secret[: len(TOKEN_PREFIX) + 6], digest=api_token_digest(secret)
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token
