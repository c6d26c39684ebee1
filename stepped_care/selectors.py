"""Waiting lists per step and team (DOMAIN.md "Stepped care" and the 6 and 18
week standards of "Outcomes")."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from accounts.audit import audit_view
from accounts.models import User
from patients.codes import ReferralStatus
from patients.models import Referral

from .models import StepChange, StepChangeKind, StepChangeStatus

WAITING_STATUSES = (ReferralStatus.RECEIVED, ReferralStatus.ASSESSED, ReferralStatus.WAITING)
STANDARD_WEEKS = (6, 18)
# Functions a higher floor registers (appointments: the first booking) that fill
# extra attributes of the listed referrals in one query each.
WAITING_LIST_ROW_HOOKS: list = []


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
    referrals = list(referrals)
    for hook in WAITING_LIST_ROW_HOOKS:
        hook(referrals)
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


# After a step change or discharge (issue 16 item 6): where the case went, for
# the person who decided it and, for MOVED_DAYS, for the practitioner who held
# it. Only the move is shown (patient's name, kind, step, to whom, end code,
# date): no clinical content, since either reader may have lost access.
MOVED_DAYS = 14


def _moves():
    """Confirmed step changes and discharges."""
    return (
        StepChange.objects.filter(status=StepChangeStatus.CONFIRMED)
        .exclude(kind=StepChangeKind.ALLOCATION)
        .select_related("referral__patient", "to_practitioner", "from_practitioner", "decided_by")
    )


def _moved_away():
    """Those that took the case from its holder (discharged, or now held by another)."""
    return _moves().filter(Q(to_practitioner__isnull=True) | ~Q(to_practitioner=F("from_practitioner")))


def step_change_outcome_for_user(*, user: User, change_id) -> StepChange:
    """The confirmed step change or discharge `change_id` if the user decided it,
    or held the case and it moved within MOVED_DAYS; 404 otherwise (no
    enumeration). The read is audited. Sets `record_visible`: whether the user
    may still open the record."""
    since = timezone.now() - timedelta(days=MOVED_DAYS)
    try:
        change = (
            _moves().filter(Q(decided_by=user) | Q(from_practitioner=user, decided_at__gte=since)).get(pk=change_id)
        )
    except (StepChange.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such step change") from exc
    audit_view(user=user, obj=change, patient_id=change.referral.patient_id)
    change.record_visible = Referral.objects.visible_to(user).filter(pk=change.referral_id).exists()
    return change


def recently_moved_for_user(*, user: User) -> list[StepChange]:
    """Cases the user held that were stepped or discharged away in the last
    MOVED_DAYS, newest first (at most 200; the view audits the disclosure)."""
    since = timezone.now() - timedelta(days=MOVED_DAYS)
    rows = list(
        _moved_away().filter(from_practitioner=user, decided_at__gte=since).order_by("-decided_at", "-id")[:200]
    )
    for row in rows:
        row.patient_id = row.referral.patient_id
    return rows


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
    work at: the same read as the API's `GET /api/v1/practitioners/`
    (patients.selectors.practitioners_for_allocation, one query; 404 for a
    role that does not allocate)."""
    from patients.selectors import STEP_BY_ROLE
    from patients.selectors import practitioners_for_allocation as practitioners

    return [
        PractitionerChoice(user=p, open_cases=p.caseload_count, capacity=p.capacity(), step=STEP_BY_ROLE[p.role])
        for p in practitioners(user=user)
    ]
