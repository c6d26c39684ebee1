from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from sessions.services import RiskInput
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, log_session

RISK = RiskInput("medium", "none", "none", "medium", plan="Safety plan agreed")


@pytest.fixture
def team(db):
    pwp = UserFactory(role=Role.PWP, email="pwp@example.invalid")
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service, email="sup@example.invalid")
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    return pwp, supervisor


def open_case(pwp, **kwargs):
    defaults = {
        "patient__service": pwp.service,
        "assigned_practitioner": pwp,
        "received_on": timezone.localdate() - timedelta(days=120),
        "opened_at": timezone.now() - timedelta(days=5),
        "last_reviewed_at": None,
    }
    defaults.update(kwargs)
    return ReferralFactory(**defaults)


def log(pwp, referral, *, days_ago, phq=12, gad=9, attendance="5", item9=0, risk=None, kind="02"):
    return log_session(
        pwp, referral, days_ago=days_ago, phq=phq, gad=gad, attendance=attendance, kind=kind, item9=item9, risk=risk
    )
