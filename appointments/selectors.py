"""Reads of appointments and diaries for a user, with access checks and audit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.http import Http404

from accounts.audit import audit_record
from accounts.models import AccessAction, Role, SupervisionAssignment, User
from patients.selectors import audit_list

from . import clock
from .models import RELEASED, Appointment, ClinicTemplate, WorkingHours

DIARY_ROLES = (Role.PWP, Role.HIT, Role.SUPERVISOR)


def appointment_get_for_user(*, user: User, appointment_id) -> Appointment:
    """The appointment if the user may see its referral (404 otherwise), the read audited."""
    try:
        appointment = (
            Appointment.objects.visible_to(user)
            .select_related("referral__patient", "practitioner", "session")
            .get(pk=appointment_id)
        )
    except (Appointment.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    audit_record(
        user=user,
        action=AccessAction.VIEW,
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.referral.patient_id,
    )
    return appointment


def practitioner_get_for_user(*, user: User, practitioner_id=None) -> User:
    """Whose diary the user may read: their own; a supervisee's (a supervisor);
    anyone's in their service (a service manager, a referral administrator).
    404 otherwise."""
    if practitioner_id in (None, "", user.pk, str(user.pk)):
        if user.role not in DIARY_ROLES:
            raise Http404
        return user
    try:
        other = User.objects.get(pk=practitioner_id, role__in=DIARY_ROLES, is_active=True)
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if user.role in (Role.SERVICE_MANAGER, Role.REFERRAL_ADMIN) and user.service_id == other.service_id:
        return other
    if (
        user.role == Role.SUPERVISOR
        and SupervisionAssignment.objects.current().filter(supervisor=user, supervisee=other).exists()
    ):
        return other
    raise Http404


@dataclass
class Slot:
    starts_at: datetime
    ends_at: datetime
    free: bool
    template: str = ""


@dataclass
class DiaryDay:
    day: date
    appointments: list = field(default_factory=list)
    working: list = field(default_factory=list)  # (start, end) instants
    free: list = field(default_factory=list)  # (start, end) instants of working time with no booking
    slots: list = field(default_factory=list)  # clinic template slots

    @property
    def free_minutes(self) -> int:
        return int(sum((b - a).total_seconds() for a, b in self.free) // 60)


def _instant(day: date, at: time) -> datetime | None:
    try:
        return clock.london_instant(day, at)
    except clock.WallClockError:
        return None  # a clock-change hour: no slot starts there


def _subtract(intervals, busy):
    free = []
    for start, end in intervals:
        cursor = start
        for b_start, b_end in busy:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                free.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            free.append((cursor, end))
    return free


def diary_for_user(*, user: User, practitioner: User, start: date, days: int) -> list[DiaryDay]:
    """The practitioner's diary for `days` days from `start` (Europe/London
    days): appointments, working hours, free time and clinic slots. Four queries
    whatever the number of appointments (appointments with their patients,
    working hours, clinic templates, the audit entry)."""
    first = _instant(start, time(0, 0))
    last = _instant(start + timedelta(days=days), time(0, 0))
    appointments = list(
        Appointment.objects.overlapping(practitioner=practitioner, start=first, end=last)
        .select_related("referral__patient")
        .order_by("starts_at")
    )
    hours = list(WorkingHours.objects.filter(practitioner=practitioner))
    templates = list(
        ClinicTemplate.objects.filter(practitioner=practitioner, valid_from__lt=start + timedelta(days=days))
    )
    result = []
    for n in range(days):
        day = start + timedelta(days=n)
        diary = DiaryDay(day=day)
        diary.appointments = [a for a in appointments if clock.london_wall_clock(a.starts_at).date() == day]
        busy = sorted((a.starts_at, a.ends_at) for a in diary.appointments if a.status not in RELEASED)
        for row in hours:
            if row.weekday == day.weekday():
                a, b = _instant(day, row.start_time), _instant(day, row.end_time)
                if a and b:
                    diary.working.append((a, b))
        diary.working.sort()
        diary.free = _subtract(diary.working, busy)
        for template in templates:
            if template.weekday != day.weekday() or day < template.valid_from:
                continue
            if template.valid_until and day > template.valid_until:
                continue
            slot_start = _instant(day, template.start_time)
            if slot_start is None:
                continue
            for i in range(template.slot_count):
                a = slot_start + timedelta(minutes=template.slot_minutes * i)
                b = a + timedelta(minutes=template.slot_minutes)
                taken = any(x < b and y > a for x, y in busy)
                diary.slots.append(Slot(starts_at=a, ends_at=b, free=not taken, template=template.name))
        diary.slots.sort(key=lambda s: s.starts_at)
        result.append(diary)
    audit_list(user=user, object_type="diary", rows=[a.referral for a in appointments])
    return result


def free_slots_for(*, practitioner: User, start: date, days: int = 14) -> list[Slot]:
    """The practitioner's free clinic slots from `start` for `days` days, from now on."""
    from django.utils import timezone

    now = timezone.now()
    slots = []
    first = _instant(start, time(0, 0))
    last = _instant(start + timedelta(days=days), time(0, 0))
    busy = sorted(
        Appointment.objects.overlapping(practitioner=practitioner, start=first, end=last)
        .holding_time()
        .values_list("starts_at", "ends_at")
    )
    templates = list(ClinicTemplate.objects.filter(practitioner=practitioner))
    for n in range(days):
        day = start + timedelta(days=n)
        for template in templates:
            if template.weekday != day.weekday() or day < template.valid_from:
                continue
            if template.valid_until and day > template.valid_until:
                continue
            slot_start = _instant(day, template.start_time)
            if slot_start is None:
                continue
            for i in range(template.slot_count):
                a = slot_start + timedelta(minutes=template.slot_minutes * i)
                b = a + timedelta(minutes=template.slot_minutes)
                if a > now and not any(x < b and y > a for x, y in busy):
                    slots.append(Slot(starts_at=a, ends_at=b, free=True, template=template.name))
    return sorted(slots, key=lambda s: s.starts_at)
