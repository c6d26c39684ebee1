"""A PWP changes the primary presenting problem and adds a secondary one on the
record, sees the history, and removes the secondary (IDS603; decision 023)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from patients.codes import PresentingProblemType, ProblemDescriptor
from patients.models import Referral
from tests.factories import ReferralFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_pwp_changes_the_primary_adds_and_removes_a_secondary(page, login, axe_check):
    pwp = UserFactory(username="pwp1", role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        problem_descriptor=ProblemDescriptor.GAD,
        received_on=timezone.localdate() - timedelta(days=30),
    )
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/record/")
    history = page.locator("#presenting-problems")
    expect(history).to_contain_text("F41.1 Generalised anxiety disorder")

    # a new primary, dated today
    page.get_by_text("Record a primary or secondary problem").click()
    page.get_by_label("Primary", exact=True).check()
    page.get_by_label("Problem (ICD-10)").select_option(ProblemDescriptor.SOCIAL_PHOBIA)
    page.get_by_role("button", name="Record problem").click()
    expect(page.get_by_role("status").filter(has_text="Presenting problem recorded")).to_be_visible()
    expect(history.locator("tr", has_text="F40.1 Social phobia")).to_contain_text("counts")
    expect(history).to_contain_text("F41.1 Generalised anxiety disorder")  # the history stays
    axe_check(page, "record, presenting problems")

    # a secondary
    page.get_by_text("Record a primary or secondary problem").click()
    page.get_by_label("Secondary", exact=True).check()
    page.get_by_label("Problem (ICD-10)").select_option(ProblemDescriptor.INSOMNIA)
    page.get_by_role("button", name="Record problem").click()
    expect(history).to_contain_text("F51.0 Nonorganic insomnia")
    assert Referral.objects.get(pk=referral.pk).problem_descriptor == ProblemDescriptor.SOCIAL_PHOBIA

    # removed: struck through, kept in the history
    page.get_by_role("button", name="Remove secondary problem F510").click()
    expect(history.locator("del", has_text="F51.0 Nonorganic insomnia")).to_be_visible()
    live = referral.presenting_problems.filter(removed_at__isnull=True)
    assert not live.filter(kind=PresentingProblemType.SECONDARY).exists()
