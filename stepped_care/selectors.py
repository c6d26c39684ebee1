"""Waiting lists per step and team (DOMAIN.md "Stepped care" and the 6 and 18
week standards of "Outcomes")."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils import timezone

from accounts.models import User
from patients.codes import ReferralStatus
from patients.models import Referral

WAITING_STATUSES = (ReferralStatus.RECEIVED, ReferralStatus.ASSESSED, ReferralStatus.WAITING)
STANDARD_WEEKS = (6, 18)


@dataclass
class WaitingList:
    step: int | None
    team: str
    rows: list = field(default_factory=list)

    @property
    def over_6(self) -> int:
        return sum(1 for r in self.rows if r.wait_weeks >= 6)

    @property
    def over_18(self) -> int:
        return sum(1 for r in self.rows if r.wait_weeks >= 18)


def waiting_lists_for_user(*, user: User) -> list[WaitingList]:
    """Everyone waiting to start treatment that the user may see, by step and
    team, longest wait first (ordered by referral date)."""
    today = timezone.localdate()
    referrals = (
        Referral.objects.visible_to(user)
        .filter(status__in=WAITING_STATUSES)
        .select_related("patient", "team", "assigned_practitioner")
        .order_by("current_step", "team__name", "received_on", "id")
    )
    lists: dict[tuple, WaitingList] = {}
    for referral in referrals:
        referral.wait_weeks = (today - referral.received_on).days // 7
        key = (referral.current_step, referral.team.name if referral.team else "No team")
        lists.setdefault(key, WaitingList(step=key[0], team=key[1])).rows.append(referral)
    return list(lists.values())


def step_changes_for_user(*, user: User):
    from patients.selectors import clinical_records_for_user

    from .models import StepChange

    return clinical_records_for_user(user=user, model=StepChange)


def step_change_get_for_user(*, user: User, change_id):
    from patients.selectors import clinical_record_get_for_user

    from .models import StepChange

    return clinical_record_get_for_user(user=user, model=StepChange, pk=change_id)


def incoming_referrals_for_user(*, user: User):
    """Open referrals with no practitioner, oldest first (issue 15: the
    administrator's Incoming referrals). Each carries wait_days, the days since
    it was received. Administrators, managers and supervisors only."""
    from accounts.models import Role
    from patients.codes import OPEN_STATUSES

    if user.role not in (Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.SUPERVISOR):
        return []
    today = timezone.localdate()
    rows = list(
        Referral.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES, assigned_practitioner__isnull=True)
        .select_related("patient", "team")
        .order_by("received_on", "id")
    )
    for referral in rows:
        referral.wait_days = (today - referral.received_on).days
    return rows


@dataclass
class PractitionerChoice:
    user: User
    open_cases: int
    capacity: int
    step: int

    @property
    def over_capacity(self) -> bool:
        return self.open_cases >= self.capacity


def practitioners_for_allocation(*, user: User) -> list[PractitionerChoice]:
    """The practitioners of the user's service, each with their open caseload
    against capacity (accounts.capacity: the trainee rules) and the step they
    work at (high-intensity therapists 3, the others 2). One query."""
    from django.db.models import Count, Q

    from accounts.models import Role
    from patients.codes import OPEN_STATUSES

    practitioners = (
        User.objects.filter(service_id=user.service_id, role__in=[Role.PWP, Role.HIT, Role.SUPERVISOR], is_active=True)
        .annotate(open_cases=Count("caseload", filter=Q(caseload__status__in=OPEN_STATUSES)))
        .order_by("role", "last_name", "first_name", "username")
    )
    return [
        PractitionerChoice(user=p, open_cases=p.open_cases, capacity=p.capacity(), step=3 if p.role == Role.HIT else 2)
        for p in practitioners
    ]
