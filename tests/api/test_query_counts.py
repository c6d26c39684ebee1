"""Every API list has a query budget that does not grow with the page size:
checked at page sizes 5 and 50 over a caseload of 50 referrals."""

import pytest
from django.utils import timezone

from stepped_care.models import StepChange, StepChangeKind
from supervision.models import CaseReview, Flag, FlagReason
from tests.factories import ReferralFactory

from .conftest import record_session

# Budget per request: the token with its user 1, the count 1, the page 1, the
# sessions' measures (one prefetch, sessions only) 1, the audit entry naming the
# page's patients 1. The access policy is a subquery inside the count and page.
LIST_BUDGET = 5
ENDPOINTS = ["patients", "referrals", "sessions", "risk-events", "step-changes", "flags", "reviews"]


@pytest.fixture
def big_caseload(world):
    pwp = world.users["own_pwp"]
    for _ in range(49):
        referral = ReferralFactory(patient__service=world.service, team=world.team, assigned_practitioner=pwp)
        record_session(user=pwp, referral=referral)
        Flag.objects.create(referral=referral, reason=FlagReason.OVERDUE_REVIEW)
        StepChange.objects.create(
            referral=referral,
            kind=StepChangeKind.STEP_UP,
            from_step=2,
            to_step=3,
            effective_on=timezone.localdate(),
            reason="r",
            proposed_by=pwp,
        )
        CaseReview.objects.create(
            referral=referral,
            reviewer=world.users["own_supervisor"],
            decisions=["continue"],
            next_review_on=timezone.localdate(),
        )
    return world


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("page_size", [5, 50])
def test_list_queries_do_not_grow_with_the_page(big_caseload, django_assert_max_num_queries, endpoint, page_size):
    client = big_caseload.client("own_pwp")
    client.get(f"/api/v1/{endpoint}/")  # the token's last-used time is written once, outside the budget
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(f"/api/v1/{endpoint}/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(page_size, response.json()["count"])
    assert response.json()["count"] >= 49 or endpoint == "risk-events"
