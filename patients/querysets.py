"""Composable reads of patients and referrals, including the access policy
(DOMAIN.md "Who uses it"): nobody sees a record without a care, supervision or
management relationship to it."""

from django.db import models
from django.db.models import Q

from accounts.models import Role, SupervisionAssignment

from .codes import OPEN_STATUSES, PresentingProblemType


def _supervisee_ids(user):
    return SupervisionAssignment.objects.current().filter(supervisor=user).values("supervisee_id")


def referral_access_q(user, prefix: str = "") -> Q:
    """The referrals a user has a relationship with, as a Q on Referral (or on a
    model reaching it through `prefix`, e.g. "referral__")."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Q(pk__in=[])
    role = user.role
    if role in (Role.PWP, Role.HIT):
        return Q(**{f"{prefix}assigned_practitioner": user})
    if role == Role.SUPERVISOR:
        return Q(**{f"{prefix}assigned_practitioner": user}) | Q(
            **{f"{prefix}assigned_practitioner__in": _supervisee_ids(user)}
        )
    if role in (Role.SERVICE_MANAGER, Role.REFERRAL_ADMIN):
        if user.service_id is None:
            return Q(pk__in=[])
        return Q(**{f"{prefix}service_id": user.service_id})
    # System administrators run the system; they hold no relationship to patients.
    return Q(pk__in=[])


class ReferralQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(referral_access_q(user))

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def for_caseload(self, user):
        return self.open().filter(assigned_practitioner=user)

    def with_list_related(self):
        return self.select_related("patient", "assigned_practitioner", "team")

    def problem_descriptor_disagreeing(self):
        """Referrals whose problem_descriptor is not the code of their latest live
        primary presenting problem ('' when none): what decision 023 promises
        never happens. One query; empty when the invariant holds."""
        from django.db.models import F, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        # The model through the relation, not an import: models.py imports this module.
        problems = self.model._meta.get_field("presenting_problems").related_model
        latest = (
            problems.objects.filter(
                referral=OuterRef("pk"), kind=PresentingProblemType.PRIMARY, removed_at__isnull=True
            )
            .order_by("-recorded_on", "-pk")
            .values("code")[:1]
        )
        return self.annotate(current_primary=Coalesce(Subquery(latest), Value(""))).exclude(
            problem_descriptor=F("current_primary")
        )


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user):
        # The referral model through the relation, not an import: models.py imports this module.
        referrals = self.model._meta.get_field("referrals").related_model
        return self.filter(pk__in=referrals.objects.visible_to(user).values("patient_id"))
