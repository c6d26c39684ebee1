"""Issue 14 item 10: GET /api/v1/practitioners/ lists the service's
practitioners with id, name, role, step, team, caseload and capacity, for
those who allocate; a fixed number of queries whatever the size; in the schema."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from patients.codes import ReferralStatus
from tests.factories import ReferralFactory, ServiceFactory, UserFactory

from .conftest import token_client


@pytest.mark.parametrize("role", ["admin", "manager", "own_supervisor"])
def test_those_who_allocate_see_the_services_practitioners_with_caseload_and_capacity(world, role):
    # given a trainee, a high-intensity therapist, an ended and an open referral
    trainee = UserFactory(
        service=world.service,
        role=Role.PWP,
        is_trainee=True,
        training_start=timezone.localdate() - timedelta(days=180),
        band=4,
    )
    hit = UserFactory(service=world.service, role=Role.HIT, band=7)
    ReferralFactory(patient__service=world.service, assigned_practitioner=hit)
    ReferralFactory(
        patient__service=world.service,
        assigned_practitioner=hit,
        status=ReferralStatus.ENDED,
        ended_on=timezone.localdate(),
        end_code="14",
    )
    UserFactory(service=ServiceFactory(), role=Role.PWP)  # another service's: not listed
    UserFactory(service=world.service, role=Role.PWP, is_active=False)  # left: not listed

    response = world.client(role).get("/api/v1/practitioners/", {"page_size": 100})

    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()["results"]}
    expected = {world.users[n].pk for n in ("own_pwp", "other_pwp", "own_supervisor", "other_supervisor")}
    assert set(rows) == expected | {trainee.pk, hit.pk}
    assert rows[hit.pk]["step"] == 3 and rows[hit.pk]["caseload"] == 1 and rows[hit.pk]["role"] == "hit"
    own = rows[world.users["own_pwp"].pk]
    assert own["step"] == 2 and own["caseload"] == 1 and own["team"] == world.team.pk
    assert own["team_name"] == world.team.name and own["name"]
    assert rows[trainee.pk]["capacity"] == trainee.capacity() < own["capacity"] == world.users["own_pwp"].capacity()


@pytest.mark.parametrize("role", ["own_pwp", "sysadmin"])
def test_others_get_404(world, role):
    assert world.client(role).get("/api/v1/practitioners/").status_code == 404


@pytest.mark.parametrize("extra", [3, 30])
def test_the_list_costs_the_same_queries_whatever_its_size(world, django_assert_max_num_queries, extra):
    for _ in range(extra):
        pwp = UserFactory(service=world.service, role=Role.PWP, team=world.team)
        ReferralFactory(patient__service=world.service, assigned_practitioner=pwp)
    client = token_client(world.users["manager"])
    # the token with its user 1, the token's last use 1, the count 1, the page (caseload as a
    # subquery, team joined) 1; capacity is computed from the row, no query per practitioner
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/practitioners/", {"page_size": 100})
    assert response.json()["count"] == 4 + extra


def test_ordering_by_caseload_is_paged_with_a_unique_tie_breaker(world):
    for _ in range(12):
        UserFactory(service=world.service, role=Role.PWP)
    client = world.client("manager")
    seen = []
    for page in (1, 2, 3, 4):
        seen += [
            r["id"]
            for r in client.get(
                "/api/v1/practitioners/", {"ordering": "-caseload_count", "page_size": 5, "page": page}
            ).json()["results"]
        ]
    assert len(seen) == len(set(seen)) == 16


def test_the_schema_documents_the_endpoint(world):
    schema = world.client("manager").get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/practitioners/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    item = component["properties"]["results"]["items"]["$ref"].rsplit("/", 1)[-1]
    fields = set(schema["components"]["schemas"][item]["properties"])
    assert {"id", "name", "role", "step", "team", "caseload", "capacity"} <= fields
