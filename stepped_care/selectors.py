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
