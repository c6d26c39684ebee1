"""Issue 15, item 1: a referral administrator finishes a self-referral in the
browser: Incoming referrals, Allocate, and the case is on the PWP's caseload."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from patients.codes import ReferralSource, ReferralStatus
from patients.models import Referral
from tests.factories import ReferralFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_administrator_allocates_an_incoming_referral(page, login, axe_check):
    service = ServiceFactory()
    UserFactory(username="admin1", role=Role.REFERRAL_ADMIN, service=service)
    pwp = UserFactory(username="pwp1", role=Role.PWP, service=service, first_name="Pat", last_name="Practitioner")
    referral = ReferralFactory(
        patient__service=service,
        patient__given_name="Robin",
        patient__family_name="Exampleton",
        assigned_practitioner=None,
        status=ReferralStatus.RECEIVED,
        current_step=None,
        source=ReferralSource.SELF,
        problem_descriptor="F411",
        received_on=timezone.localdate() - timedelta(days=12),
    )

    login("admin1")
    page.get_by_role("link", name="Incoming referrals").click()
    row = page.locator("#incoming-table tbody tr").filter(has_text="Exampleton, Robin")
    expect(row).to_contain_text("12 days")
    expect(row).to_contain_text("Self-referral")
    expect(row).to_contain_text("F41.1 Generalised anxiety disorder")
    axe_check(page, "admin incoming referrals")
    row.get_by_role("link", name="Allocate").click()

    expect(page.locator("#suggestion")).to_contain_text("step 2")
    practitioner = page.locator("#practitioners tbody tr").filter(has_text="Pat Practitioner")
    expect(practitioner).to_contain_text("0 / ")
    axe_check(page, "admin allocate")
    page.get_by_role("button", name="Allocate").click()  # nothing chosen: refused, said where
    expect(page.locator("#error-summary")).to_be_focused()
    page.get_by_label("Pat Practitioner").check()
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_text("Allocated to Pat Practitioner at step 2.")).to_be_visible()
    expect(page.locator("#incoming-table")).not_to_contain_text("Exampleton, Robin")
    referral.refresh_from_db()
    assert referral.assigned_practitioner == pwp and referral.current_step == 2
    assert Referral.objects.filter(assigned_practitioner__isnull=True).count() == 0
