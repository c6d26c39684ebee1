"""Writes about accounts: the sessions a user holds and their authenticators."""

from __future__ import annotations

import base64

import segno
from django.contrib.sessions.models import Session
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User, UserSession


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
