"""Issue 14 item 8: every API list ends its ordering with a unique key whatever
ordering the client asks for, so paging never skips or repeats a record."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from core.api import UniqueOrderingFilter
from iapt.api_urls import router
from patients.codes import ReferralStatus
from tests.factories import ReferralFactory

STATUSES = [ReferralStatus.RECEIVED, ReferralStatus.ASSESSED, ReferralStatus.WAITING, ReferralStatus.IN_TREATMENT]


def test_120_referrals_of_one_day_paged_by_10_under_a_tied_ordering_are_each_listed_once(world):
    # given 120 referrals received on the same day, in four statuses (30 tie on each)
    day = timezone.localdate() - timedelta(days=5)
    for n in range(120):
        ReferralFactory(patient__service=world.service, team=world.team, received_on=day, status=STATUSES[n % 4])
    client = world.client("manager")
    expected = client.get("/api/v1/referrals/", {"received_from": day, "received_to": day}).json()["count"]
    assert expected == 120

    # when they are paged through 10 at a time, ordered by status only
    seen = []
    for page in range(1, 13):
        response = client.get(
            "/api/v1/referrals/",
            {"ordering": "-status", "page_size": 10, "page": page, "received_from": day, "received_to": day},
        )
        assert response.status_code == 200
        seen += [row["id"] for row in response.json()["results"]]

    # then every referral came exactly once, in status order
    assert len(seen) == len(set(seen)) == 120


LISTS = [(prefix, viewset) for prefix, viewset, _ in router.registry if getattr(viewset, "ordering_fields", None)]


@pytest.mark.parametrize("prefix,viewset", LISTS, ids=[p for p, _ in LISTS])
def test_every_ordering_a_client_may_ask_ends_with_the_primary_key(prefix, viewset):
    for field in viewset.ordering_fields:
        for term in (field, f"-{field}"):
            request = Request(APIRequestFactory().get(f"/api/v1/{prefix}/", {"ordering": term}))
            view = viewset(action="list", request=request, format_kwarg=None)
            ordering = UniqueOrderingFilter().get_ordering(request, view.queryset, view)
            assert ordering[0] == term and ordering[-1] in ("pk", "id", "-id")


def test_every_paged_web_list_ends_its_ordering_with_a_unique_key(world):
    # The web's paged lists: referrals (patients/views.py), the record's access log
    # (accounts/views.py), the caseload (SQL: "ORDER BY {order}, c.id") and the
    # supervisor's flagged cases.
    from patients.selectors import record_access_for_manager, referral_list_for_user
    from supervision import caseload as session_selectors
    from supervision.selectors import flagged_cases

    querysets = [
        referral_list_for_user(user=world.users["manager"]),
        record_access_for_manager(user=world.users["manager"], patient_id=world.referral.patient_id),
        flagged_cases(user=world.users["own_supervisor"]),
    ]
    for qs in querysets:
        last = str(qs.query.order_by[-1])
        assert last.lstrip("-") in ("id", "pk"), qs.query.order_by
    assert "ORDER BY {order}, c.id" in " ".join(session_selectors.CASELOAD_SQL.split())
