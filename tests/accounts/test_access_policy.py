"""The access policy as a matrix of role x relationship (DOMAIN.md "Who uses it"):
a record outside the user's relationship answers 404, never 403."""

import pytest
from django.urls import reverse

from accounts.models import AccessLog, Role
from patients.models import Patient, Referral
from tests.factories import (
    ReferralFactory,
    ServiceFactory,
    SupervisionAssignmentFactory,
    UserFactory,
)


@pytest.fixture
def world(db):
    service = ServiceFactory()
    other_service = ServiceFactory()
    pwp = UserFactory(service=service, role=Role.PWP)
    other_pwp = UserFactory(service=service, role=Role.PWP)
    supervisor = UserFactory(service=service, role=Role.SUPERVISOR)
    other_supervisor = UserFactory(service=service, role=Role.SUPERVISOR)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    SupervisionAssignmentFactory(supervisor=other_supervisor, supervisee=other_pwp)
    referral = ReferralFactory(patient__service=service, assigned_practitioner=pwp)
    return {
        "referral": referral,
        "users": {
            "own_pwp": pwp,
            "other_pwp": other_pwp,
            "own_supervisor": supervisor,
            "other_supervisor": other_supervisor,
            "hit_not_allocated": UserFactory(service=service, role=Role.HIT),
            "manager": UserFactory(service=service, role=Role.SERVICE_MANAGER),
            "other_service_manager": UserFactory(service=other_service, role=Role.SERVICE_MANAGER),
            "referral_admin": UserFactory(service=service, role=Role.REFERRAL_ADMIN),
            "other_service_admin": UserFactory(service=other_service, role=Role.REFERRAL_ADMIN),
            "system_admin": UserFactory(service=service, role=Role.SYSTEM_ADMIN),
        },
    }


EXPECTED = {
    "own_pwp": 200,
    "other_pwp": 404,
    "own_supervisor": 200,
    "other_supervisor": 404,
    "hit_not_allocated": 404,
    "manager": 200,
    "other_service_manager": 404,
    "referral_admin": 200,
    "other_service_admin": 404,
    "system_admin": 404,
}


@pytest.mark.parametrize(("who", "status"), sorted(EXPECTED.items()))
def test_patient_page_matrix(client, world, who, status):
    user = world["users"][who]
    client.force_login(user)
    response = client.get(reverse("patients:detail", args=[world["referral"].patient_id]))
    assert response.status_code == status
    views = AccessLog.objects.filter(user=user, action="view", object_type="patient")
    assert views.count() == (1 if status == 200 else 0)


@pytest.mark.parametrize(("who", "status"), sorted(EXPECTED.items()))
def test_queryset_policy_matches_pages(world, who, status):
    user = world["users"][who]
    visible = Referral.objects.visible_to(user).filter(pk=world["referral"].pk).exists()
    assert visible is (status == 200)
    assert Patient.objects.visible_to(user).filter(pk=world["referral"].patient_id).exists() is (status == 200)


def test_ended_supervision_ends_access(world):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import SupervisionAssignment

    supervisor = world["users"]["own_supervisor"]
    SupervisionAssignment.objects.filter(supervisor=supervisor).update(ended=timezone.localdate() - timedelta(days=1))
    assert not Referral.objects.visible_to(supervisor).exists()


def test_inactive_user_sees_nothing(world):
    pwp = world["users"]["own_pwp"]
    pwp.is_active = False
    assert not Referral.objects.visible_to(pwp).exists()


def test_unknown_uuid_is_404(client, world):
    client.force_login(world["users"]["manager"])
    response = client.get("/patients/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_every_page_but_login_requires_login(client, world):
    for url in [
        "/",
        reverse("patients:referral_list"),
        reverse("patients:register"),
        reverse("patients:detail", args=[world["referral"].patient_id]),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url
    assert client.get("/login/").status_code == 200
    assert client.get("/health/").status_code == 200
