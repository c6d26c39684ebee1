from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from stepped_care.models import StepChange
from stepped_care.services import step_change_propose
from supervision.models import Flag
from supervision.sweep import sweep
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_supervisor_confirms_a_step_up_and_the_flag_goes(page, login):
    # given a PWP's case, overdue for review, whose step up the PWP proposed
    pwp = UserFactory(username="pwp1", role=Role.PWP)
    supervisor = UserFactory(username="sup1", role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    referral = ReferralFactory(
        patient__service=pwp.service,
        patient__family_name="Exampleton",
        patient__given_name="Robin",
        assigned_practitioner=pwp,
        opened_at=timezone.now() - timedelta(days=35),
    )
    ReferralFactory(
        patient__service=pwp.service,
        patient__family_name="Quietcase",
        assigned_practitioner=pwp,
        opened_at=timezone.now() - timedelta(days=5),
    )
    step_change_propose(
        user=pwp,
        referral=referral,
        kind="step_up",
        to_step=3,
        reason="No reliable improvement",
        effective_on=timezone.localdate(),
    )
    sweep()

    # when the supervisor opens the top flagged case and records a step up
    login("sup1")
    page.get_by_role("link", name="Supervision", exact=True).click()
    top = page.locator("#flagged-cases tbody tr").first
    assert "Exampleton" in top.inner_text()
    top.get_by_role("link", name="Review").click()
    page.get_by_label("Step up to step 3").check()
    # no therapist named: the case waits on the step 3 list and stays on the PWP's caseload until allocated
    page.get_by_role("button", name="Record review").click()

    # then the page says where the case went (issue 16), and the flag has gone from the dashboard
    page.wait_for_url("**/step-changes/*/**")
    assert "to step 3, waiting for allocation at step 3" in page.locator("#case-moved").inner_text()
    page.get_by_role("link", name="Next case").click()
    page.wait_for_url("**/supervision/")
    assert page.locator("#flagged-cases").get_by_text("Exampleton").count() == 0
    assert not Flag.objects.filter(referral=referral, resolved_at__isnull=True).exists()
    change = StepChange.objects.get(referral=referral)
    assert (change.status, change.to_step, change.decided_by) == ("confirmed", 3, supervisor)

    page.get_by_role("button", name="Log out").click()
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/record/")
    history = page.locator("#step-history-list").inner_text()
    assert "Step up to step 3" in history and "Confirmed" in history
