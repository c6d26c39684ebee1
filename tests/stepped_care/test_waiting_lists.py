from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from tests.factories import ReferralFactory, ServiceFactory, TeamFactory, UserFactory


@pytest.mark.parametrize("size", [2, 15])
def test_waiting_lists_by_step_and_team_longest_wait_first(client, db, django_assert_max_num_queries, size):
    service = ServiceFactory()
    north, south = TeamFactory(service=service, name="North"), TeamFactory(service=service, name="South")
    manager = UserFactory(service=service, role=Role.SERVICE_MANAGER)
    today = timezone.localdate()
    for n in range(size):
        ReferralFactory(
            patient__service=service,
            team=north,
            status="waiting",
            current_step=2,
            received_on=today - timedelta(days=7 * n + 1),
        )
    ReferralFactory(
        patient__service=service, team=south, status="waiting", current_step=3, received_on=today - timedelta(weeks=19)
    )
    ReferralFactory(patient__service=service, team=north, status="in_treatment")  # not waiting
    client.force_login(manager)
    # session, user, the referrals with patient/team/practitioner, the audit insert: constant.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("stepped_care:waiting_lists"))
    lists = response.context["lists"]
    assert [(wl.step, wl.team) for wl in lists] == [(2, "North"), (3, "South")]
    north_rows = lists[0].rows
    assert len(north_rows) == size
    assert [r.received_on for r in north_rows] == sorted(r.received_on for r in north_rows)
    assert lists[0].over_6 == sum(1 for n in range(size) if (7 * n + 1) // 7 >= 6)
    assert lists[1].over_18 == 1


def test_a_pwp_sees_only_their_own_waiting_cases(client, db):
    pwp = UserFactory(role=Role.PWP)
    ReferralFactory(patient__service=pwp.service, status="waiting", assigned_practitioner=pwp)
    ReferralFactory(patient__service=pwp.service, status="waiting")
    client.force_login(pwp)
    lists = client.get(reverse("stepped_care:waiting_lists")).context["lists"]
    assert sum(len(wl.rows) for wl in lists) == 1
