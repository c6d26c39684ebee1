"""Fills the columns lower floors show about bookings, through the hooks they
own (sessions.selectors.CASELOAD_ROW_HOOKS, stepped_care.selectors.
WAITING_LIST_ROW_HOOKS): one query per page of rows, whatever its size."""

from django.urls import reverse
from django.utils import timezone

from .models import Appointment, AppointmentStatus


def _earliest_booked(referral_ids, *, from_now: bool) -> dict:
    if not referral_ids:
        return {}
    qs = Appointment.objects.filter(referral_id__in=referral_ids, status=AppointmentStatus.BOOKED)
    if from_now:
        qs = qs.filter(starts_at__gte=timezone.now())
    rows = qs.order_by("referral_id", "starts_at").distinct("referral_id").values_list("referral_id", "starts_at")
    return dict(rows)


def caseload_next_appointment(rows) -> None:
    """Each caseload row's next booked appointment (`next_appointment_at`)."""
    found = _earliest_booked([r.pk for r in rows], from_now=True)
    for row in rows:
        row.next_appointment_at = found.get(row.pk)


def waiting_list_first_appointment(referrals) -> None:
    """Each waiting referral's first booked appointment (`first_appointment_at`)
    and the link that books one (`book_url`)."""
    found = _earliest_booked([r.pk for r in referrals], from_now=False)
    template = reverse("appointments:book", args=["00000000-0000-0000-0000-000000000000"])
    for referral in referrals:
        referral.first_appointment_at = found.get(referral.pk)
        referral.book_url = template.replace("00000000-0000-0000-0000-000000000000", str(referral.pk))


def register() -> None:
    from sessions.selectors import CASELOAD_ROW_HOOKS
    from stepped_care.selectors import WAITING_LIST_ROW_HOOKS

    if caseload_next_appointment not in CASELOAD_ROW_HOOKS:
        CASELOAD_ROW_HOOKS.append(caseload_next_appointment)
    if waiting_list_first_appointment not in WAITING_LIST_ROW_HOOKS:
        WAITING_LIST_ROW_HOOKS.append(waiting_list_first_appointment)
