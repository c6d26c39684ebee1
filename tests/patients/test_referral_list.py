import pytest
from django.urls import reverse

from accounts.models import Role
from tests.factories import ReferralFactory, ServiceFactory, TeamFactory, UserFactory


def make_referrals(service, team, count):
    for _ in range(count):
        ReferralFactory(patient__service=service, team=team)


@pytest.mark.parametrize("size", [5, 40])
def test_referral_list_query_budget_does_not_grow(client, db, django_assert_max_num_queries, size):
    service = ServiceFactory()
    team = TeamFactory(service=service)
    manager = UserFactory(service=service, role=Role.SERVICE_MANAGER)
    make_referrals(service, team, size)
    client.force_login(manager)
    # session + user, paginator count, the page of referrals with patient/practitioner/team
    # joined, the audit insert, the filter form's team and practitioner choices (2),
    # and savepoints: a fixed budget whatever the number of rows.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("patients:referral_list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == size


def test_filters_narrow_the_list(client, db):
    service = ServiceFactory()
    manager = UserFactory(service=service, role=Role.SERVICE_MANAGER)
    ReferralFactory(
        patient__service=service, status="ended", ended_on="2026-01-01", end_code="46", received_on="2025-12-01"
    )
    ReferralFactory(patient__service=service, status="waiting")
    client.force_login(manager)
    response = client.get(reverse("patients:referral_list"), {"status": "waiting"})
    rows = response.context["page"].object_list
    assert [r.status for r in rows] == ["waiting"]


def test_pwp_sees_only_their_caseload_in_the_list(client, db):
    service = ServiceFactory()
    pwp, other = UserFactory(service=service), UserFactory(service=service)
    mine = ReferralFactory(patient__service=service, assigned_practitioner=pwp)
    ReferralFactory(patient__service=service, assigned_practitioner=other)
    client.force_login(pwp)
    response = client.get(reverse("patients:referral_list"))
    assert [r.pk for r in response.context["page"].object_list] == [mine.pk]
