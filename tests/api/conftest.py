"""A small service with every relationship the access policy knows, and an API
client per role authenticated with a real token (accounts/services.py)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import api_token_issue
from reports.models import ExportJob
from sessions.models import RiskAssessment, TherapySession
from stepped_care.models import StepChange, StepChangeKind
from supervision.models import CaseReview, Flag, FlagReason
from tests.factories import (
    ReferralFactory,
    ServiceFactory,
    SupervisionAssignmentFactory,
    TeamFactory,
    UserFactory,
    gad7,
    phq9,
)


def token_client(user: User) -> APIClient:
    _, secret = api_token_issue(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@dataclass
class World:
    service: object
    team: object
    users: dict
    referral: object
    other_referral: object
    session: object
    risk: object
    step_change: object
    flag: object
    review: object
    export: object

    def client(self, who: str) -> APIClient:
        return token_client(self.users[who])


def record_session(*, user, referral, days_ago=10, phq=12, gad=9, appointment_type="02", **kwargs):
    from sessions.services import therapy_session_record

    return therapy_session_record(
        user=user,
        referral=referral,
        started_at=timezone.now() - timedelta(days=days_ago),
        appointment_type=appointment_type,
        attendance="5",
        medium="02",
        duration_minutes=30,
        measure_items={"PHQ9": phq9(phq), "GAD7": gad7(gad)},
        enqueue_followup=False,
        **kwargs,
    )


@pytest.fixture
def world(db) -> World:
    service = ServiceFactory()
    team = TeamFactory(service=service)
    users = {
        "own_pwp": UserFactory(service=service, team=team, role=Role.PWP, username="own_pwp"),
        "other_pwp": UserFactory(service=service, team=team, role=Role.PWP, username="other_pwp"),
        "own_supervisor": UserFactory(service=service, role=Role.SUPERVISOR, band=7, username="own_supervisor"),
        "other_supervisor": UserFactory(service=service, role=Role.SUPERVISOR, band=7, username="other_supervisor"),
        "manager": UserFactory(service=service, role=Role.SERVICE_MANAGER, band=8, username="manager"),
        "admin": UserFactory(service=service, role=Role.REFERRAL_ADMIN, band=3, username="admin"),
        "sysadmin": UserFactory(service=None, role=Role.SYSTEM_ADMIN, band=None, username="sysadmin"),
    }
    SupervisionAssignmentFactory(supervisor=users["own_supervisor"], supervisee=users["own_pwp"])
    SupervisionAssignmentFactory(supervisor=users["other_supervisor"], supervisee=users["other_pwp"])
    referral = ReferralFactory(
        patient__service=service,
        team=team,
        assigned_practitioner=users["own_pwp"],
        received_on=timezone.localdate() - timedelta(days=60),
    )
    other_referral = ReferralFactory(patient__service=service, team=team, assigned_practitioner=users["other_pwp"])
    session = record_session(user=users["own_pwp"], referral=referral)
    risk = RiskAssessment.objects.create(
        referral=referral,
        recorded_by=users["own_pwp"],
        trigger="event",
        risk_to_self="low",
        risk_to_others="none",
        risk_from_others="none",
        level="low",
        plan="Safety plan agreed.",
    )
    step_change = StepChange.objects.create(
        referral=referral,
        kind=StepChangeKind.STEP_UP,
        from_step=2,
        to_step=3,
        effective_on=timezone.localdate(),
        reason="No improvement.",
        proposed_by=users["own_pwp"],
    )
    flag = Flag.objects.create(referral=referral, reason=FlagReason.RISK)
    review = CaseReview.objects.create(
        referral=referral,
        reviewer=users["own_supervisor"],
        decisions=["continue"],
        next_review_on=timezone.localdate() + timedelta(days=14),
    )
    export = ExportJob.objects.create(
        requested_by=users["manager"],
        filters={"service_id": service.pk, "date_from": "2026-01-01", "date_to": "2026-03-31"},
        format="csv",
    )
    referral.refresh_from_db()  # recording the session moved its version on
    return World(service, team, users, referral, other_referral, session, risk, step_change, flag, review, export)


__all__ = ["TherapySession", "World", "record_session", "token_client"]
