"""A practitioner's diary as an iCalendar feed (RFC 5545, through the
`icalendar` library) behind a secret per-user URL. Events carry no patient
name: the patient's initials and the referral's reference (the first eight
characters of its id) only, plus the time and medium (issue 18, item 5)."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from icalendar import Calendar, Event

from accounts.audit import audit_record
from accounts.models import AccessAction, User

from .models import RELEASED, Appointment, CalendarFeed

WINDOW_BEFORE = timedelta(days=30)
WINDOW_AFTER = timedelta(days=180)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_create(*, user: User) -> str:
    """Makes a new secret feed URL token for the user (any old one stops
    working) and returns it; only its hash is stored."""
    token = str(uuid.UUID(bytes=secrets.token_bytes(16), version=4))  # 122 random bits
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"token_hash": _hash(token), "created_at": timezone.now(), "revoked_at": None}
    )
    audit_record(user=user, action=AccessAction.CREATE, object_type="calendar_feed", object_id=user.pk)
    return token


@transaction.atomic
def calendar_feed_revoke(*, user: User) -> None:
    CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit_record(user=user, action=AccessAction.DELETE, object_type="calendar_feed", object_id=user.pk)


def feed_owner(token) -> User | None:
    """The active user whose live feed this token opens, or None."""
    feed = (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=_hash(str(token or "")), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    return feed.user if feed else None


def referral_reference(referral_id) -> str:
    return str(referral_id).replace("-", "")[:8].upper()


def calendar_for(user: User) -> bytes:
    """The user's appointments from 30 days ago to 180 days ahead, cancelled and
    rebooked ones left out, as an iCalendar document; the disclosure audited."""
    now = timezone.now()
    appointments = list(
        Appointment.objects.overlapping(practitioner=user, start=now - WINDOW_BEFORE, end=now + WINDOW_AFTER)
        .exclude(status__in=[s.value for s in RELEASED])
        .select_related("referral__patient")
        .order_by("starts_at")
    )
    calendar = Calendar()
    calendar.add("prodid", "-//NHS Talking Therapies case management//diary//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "My appointments")
    for appointment in appointments:
        patient = appointment.referral.patient
        initials = f"{patient.given_name[:1]}.{patient.family_name[:1]}.".upper()
        event = Event()
        event.add("uid", f"{appointment.pk}@iapt")
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("summary", f"{initials} ref {referral_reference(appointment.referral_id)}")
        event.add("description", f"{appointment.get_medium_display()}, {appointment.get_status_display().lower()}")
        calendar.add_component(event)
    if appointments:
        audit_record(
            user=user,
            action=AccessAction.LIST,
            object_type="calendar_feed",
            detail={"patient_ids": [str(a.referral.patient_id) for a in appointments], "count": len(appointments)},
        )
    return calendar.to_ical()
