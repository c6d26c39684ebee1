"""Issue 15, item 1: allocation in the browser (the same service as the API)
and the Incoming referrals page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from patients.codes import ReferralStatus
from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus
from tests.factories import ReferralFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service():
    service = ServiceFactory()
    admin = UserFactory(role=Role.REFERRAL_ADMIN, service=service)
    pwp = UserFactory(role=Role.PWP, service=service, first_name="Pat", last_name="Practitioner")
    return service, admin, pwp


def unallocated(service, days, **kwargs):
    return ReferralFactory(
        patient__service=service,
        assigned_practitioner=None,
        status=ReferralStatus.RECEIVED,
        current_step=None,
        received_on=timezone.localdate() - timedelta(days=days),
        **kwargs,
    )


@pytest.mark.parametrize("size", [2, 8])
def test_incoming_lists_the_unallocated_oldest_first(client, service, size, django_assert_max_num_queries):
    service, admin, pwp = service
    for days in range(size):
        unallocated(service, days=10 + days)
    ReferralFactory(patient__service=service, assigned_practitioner=pwp)  # allocated: not incoming
    client.force_login(admin)
    # session, user, the referrals with patient and team, the list's audit, and the nav's context
    with django_assert_max_num_queries(8):
        response = client.get(reverse("stepped_care:incoming"))
    rows = response.context["rows"]
    assert len(rows) == size
    assert [r.wait_days for r in rows] == sorted((r.wait_days for r in rows), reverse=True)
    assert f"{10 + size - 1} days".encode() in response.content
    assert AccessLog.objects.filter(action="list", object_type="incoming_referrals").exists()


def test_a_pwp_has_no_incoming_page_nor_allocation(client, service):
    service, admin, pwp = service
    referral = unallocated(service, days=3)
    client.force_login(pwp)
    assert client.get(reverse("stepped_care:incoming")).status_code == 404
    assert client.get(reverse("stepped_care:allocate", args=[referral.pk])).status_code == 404


def test_another_services_referral_is_404(client, service):
    service, admin, pwp = service
    other = unallocated(ServiceFactory(), days=3)
    client.force_login(admin)
    assert client.get(reverse("stepped_care:allocate", args=[other.pk])).status_code == 404


def test_the_administrator_allocates_with_caseload_and_capacity_shown(client, service):
    service, admin, pwp = service
    referral = unallocated(service, days=20, problem_descriptor="F411")
    client.force_login(admin)
    page = client.get(reverse("stepped_care:allocate", args=[referral.pk]))
    choice = next(c for c in page.context["practitioners"] if c.user == pwp)
    assert choice.open_cases == 0 and choice.capacity == pwp.capacity() and choice.step == 2
    assert page.context["suggestion"].step == 2 and b"Decision support suggests" in page.content
    response = client.post(reverse("stepped_care:allocate", args=[referral.pk]), {"practitioner": pwp.pk, "step": 2})
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.assigned_practitioner == pwp and referral.current_step == 2 and referral.opened_at
    assert AccessLog.objects.filter(action="update", object_type="referral", detail__change="allocate").exists()


def test_refusals_are_explained_beside_the_field(client, service):
    service, admin, pwp = service
    referral = unallocated(service, days=5)
    StepChange.objects.create(
        referral=referral,
        kind=StepChangeKind.ALLOCATION,
        status=StepChangeStatus.CONFIRMED,
        to_step=3,
        effective_on=timezone.localdate(),
        reason="Psychosis: not for step 2",
        exclusions=["psychosis"],
        proposed_by=admin,
        decided_by=admin,
        decided_at=timezone.now(),
    )
    client.force_login(admin)
    url = reverse("stepped_care:allocate", args=[referral.pk])
    response = client.post(url, {"practitioner": pwp.pk, "step": 2})
    assert response.status_code == 200
    assert "exclusion for step 2" in str(response.context["form"].errors["step"])
    assert b'href="#id_step"' in response.content  # the error summary links to it
    assert client.post(url, {"practitioner": pwp.pk, "step": 3}).status_code == 302

    ended = unallocated(service, days=5)
    ended.status = ReferralStatus.ENDED
    ended.end_code = "50"
    ended.ended_on = timezone.localdate()
    ended.save()
    response = client.post(reverse("stepped_care:allocate", args=[ended.pk]), {"practitioner": pwp.pk, "step": 2})
    assert response.status_code == 200 and b"ended" in response.content
    ended.refresh_from_db()
    assert ended.assigned_practitioner is None
