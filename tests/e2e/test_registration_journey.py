from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from patients.codes import ReferralSource
from patients.models import Referral
from tests.factories import ServiceFactory, TeamFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_referral_admin_registers_a_patient_and_sees_it_in_the_list(page, login):
    # given a referral administrator of a service with a team
    service = ServiceFactory()
    TeamFactory(service=service, name="North team")
    UserFactory(username="admin1", service=service, role=Role.REFERRAL_ADMIN)
    login("admin1")

    # when they register a patient and referral, first with a mistake
    page.get_by_role("link", name="Register a referral").first.click()
    page.get_by_label("NHS number").fill("943 476 5918")
    page.get_by_label("Given name").fill("Robin")
    page.get_by_label("Family name").fill("Exampleton")
    page.get_by_label("Date of birth").fill("1979-03-14")
    page.get_by_label("Sex").select_option("2")
    page.get_by_label("Referral source").select_option(ReferralSource.GP.value)
    page.get_by_label("Referral received").fill((timezone.localdate() - timedelta(days=2)).isoformat())
    page.get_by_label("Problem descriptor").select_option("F411")
    page.get_by_role("button", name="Register referral").click()

    # then the error shows beside the field and nothing typed is lost
    # (expect() waits for the re-rendered page: the click returns once it starts loading)
    expect(page.get_by_text("not a valid NHS number")).to_be_visible()
    expect(page.get_by_label("Family name")).to_have_value("Exampleton")
    expect(page.get_by_label("Problem descriptor")).to_have_value("F411")

    page.get_by_label("NHS number").fill("943 476 5919")
    page.get_by_role("button", name="Register referral").click()
    page.wait_for_url("**/patients/**")
    expect(page.get_by_role("heading", name="Robin Exampleton")).to_be_visible()

    page.get_by_role("link", name="Referrals", exact=True).click()
    row = page.locator("#referral-table tbody tr").filter(has_text="Exampleton, Robin")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Received")
    expect(row).to_contain_text("GP")
    assert Referral.objects.get().source == ReferralSource.GP
