"""Fills the columns other floors show about bookings: the caseload (on the
supervision floor, above this one) calls `caseload_next_appointment`; the
waiting lists (stepped care, below) call the hook this floor registers in
stepped_care.selectors.WAITING_LIST_ROW_HOOKS. One query per page of rows."""

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
    from stepped_care.selectors import WAITING_LIST_ROW_HOOKS

    if waiting_list_first_appointment not in WAITING_LIST_ROW_HOOKS:
        WAITING_LIST_ROW_HOOKS.append(waiting_list_first_appointment)
