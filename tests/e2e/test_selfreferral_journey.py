"""Issue 20: a person refers themselves on a phone-sized browser, with JavaScript
on (axe-core on every page of the journey: 0 violations of WCAG 2.2 A/AA) and
with it off (locators and clicks only: page.evaluate hangs without JavaScript);
the acknowledgement reaches the Notify stand-in; an administrator accepts it."""

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import Role
from patients.codes import ReferralSource
from patients.models import Referral
from selfreferral import messages
from selfreferral.codes import Status
from selfreferral.models import SelfReferral
from supervision.models import Notification
from tests.factories import ServiceFactory, UserFactory
from tests.notify_standin import NotifyStandIn

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def notify(settings):
    standin = NotifyStandIn().start()
    settings.NOTIFY_API_KEY = standin.api_key
    settings.NOTIFY_BASE_URL = standin.base_url
    settings.NOTIFY_SELF_REFERRAL_SMS_TEMPLATE_ID = "33333333-3333-4333-8333-333333333333"
    settings.NOTIFY_SELF_REFERRAL_EMAIL_TEMPLATE_ID = "44444444-4444-4444-8444-444444444444"
    yield standin
    standin.stop()


@pytest.fixture
def public_service(settings):
    # A browser fills the form in seconds; the minimum time has its own tests (tests/selfreferral).
    settings.SELF_REFERRAL_MIN_SECONDS = 0
    cache.clear()
    service = ServiceFactory(name="Leeds Talking Therapies")
    yield service
    cache.clear()


def go_on(page):
    page.get_by_role("button", name="Continue").click()


def refer_myself(page, check, *, nhs_number: str, risk_yes: bool, email: bool = False):
    """Walks the form from the start page; `check(label)` runs on every page reached."""
    page.goto("/self-referral/")
    check("start")
    page.get_by_role("button", name="Start now").click()
    check("name")
    go_on(page)  # nothing typed: the error summary and the messages
    expect(page.get_by_text("There is a problem")).to_be_visible()
    check("name, with errors")
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("O'Selfton")
    go_on(page)
    check("date of birth")
    page.get_by_label("Day").fill("15")
    page.get_by_label("Month").fill("3")
    page.get_by_label("Year").fill("1984")
    go_on(page)
    check("NHS number")
    page.get_by_text("Where to find your NHS number").click()
    page.get_by_label("What is your NHS number? (optional)").fill(nhs_number)
    go_on(page)
    check("address")
    page.get_by_label("Address line 1").fill("1 High Street")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Postcode").fill("LS1 4AP")
    go_on(page)
    check("GP")
    page.get_by_label("Which GP practice are you registered with?").fill("Riverside Medical Centre")
    go_on(page)
    check("contact")
    page.get_by_label("Mobile phone number").fill("07700 900123")
    page.get_by_label("Text message").check()
    page.get_by_label("Letter").check()
    if email:
        page.get_by_label("Email address").fill("robin@example.com")
        page.get_by_label("Email", exact=True).check()
    go_on(page)
    check("problem")
    page.get_by_label("What would you like help with?").fill("I have felt low and worried since the spring.")
    page.get_by_label("3 to 12 months").check()
    go_on(page)
    check("hopes")
    page.get_by_label("What do you hope will change? (optional)").fill("To sleep and work again.")
    go_on(page)
    check("risk")
    for question, yes in (("better off dead", risk_yes), ("plans to end your life", False), ("harm someone", False)):
        page.get_by_role("group", name=question).get_by_label("Yes" if yes else "No").check()
    go_on(page)
    if risk_yes:
        expect(page.get_by_text("116 123")).to_be_visible()
        expect(page.get_by_text("option 2")).to_be_visible()
        check("urgent help")
        page.get_by_role("button", name="Continue with your referral").click()
    check("about you")
    page.get_by_role("group", name="What is your gender?").get_by_label("Female").check()
    page.get_by_role("group", name="What is your ethnic group?").get_by_label("Prefer not to say").check()
    go_on(page)
    check("check your answers")
    expect(page.get_by_text("Riverside Medical Centre")).to_be_visible()
    # a change link goes to its question and comes back here
    page.get_by_role("link", name="Change gp practice").click()
    page.get_by_label("Which GP practice are you registered with?").fill("Hillside Surgery")
    go_on(page)
    expect(page.get_by_text("Hillside Surgery")).to_be_visible()
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_role("heading", name="Referral sent")).to_be_visible()
    check("confirmation")
    return page.locator("#reference").inner_text()


def test_a_person_refers_themselves_on_a_phone_with_javascript_and_an_administrator_accepts(
    public_page, page, login, axe_check, public_service, notify
):
    supervisor = UserFactory(role=Role.SUPERVISOR, service=public_service)
    UserFactory(username="admin20", role=Role.REFERRAL_ADMIN, service=public_service)
    phone = public_page(javascript=True)
    reference = refer_myself(
        phone, lambda label: axe_check(phone, f"self-referral: {label}"), nhs_number="943 476 5919", risk_yes=True
    )
    row = SelfReferral.objects.get()
    assert row.reference == reference and row.urgent and row.gp_practice_name == "Hillside Surgery"
    assert row.ethnicity == "Z" and row.stated_gender == "2"
    assert Notification.objects.filter(user=supervisor, message__contains=reference).exists()

    # the worker sends the acknowledgement: it reaches the Notify stand-in, the reference its only detail
    messages.acknowledge(row.pk)
    [sms] = notify.sent("sms")
    assert sms["phone_number"] == "07700900123"
    assert reference in sms["personalisation"]["message"] and "Selfton" not in sms["personalisation"]["message"]

    # an administrator finds it, urgent, from the incoming referrals page, and accepts it
    login("admin20")
    page.goto("/referrals/incoming/")
    expect(page.locator("#self-referrals-waiting")).to_contain_text("1 urgent")
    page.get_by_role("link", name="Incoming self-referrals").click()
    axe_check(page, "staff: incoming self-referrals")
    page.get_by_role("link", name=f"Open {reference}").click()
    expect(page.locator("#match")).to_contain_text("No existing patient matches")
    axe_check(page, "staff: one self-referral")
    page.get_by_role("button", name="Accept as new patient").click()
    expect(page.get_by_text("Accepted: the patient and their self-referral are registered.")).to_be_visible()
    referral = Referral.objects.get()
    assert referral.source == ReferralSource.SELF and referral.patient.nhs_number == "9434765919"
    row.refresh_from_db()
    assert row.status == Status.ACCEPTED
    # and it waits for allocation on the incoming referrals page
    page.goto("/referrals/incoming/")
    expect(page.locator("#incoming-table")).to_contain_text("O'Selfton, Robin")


def test_a_person_refers_themselves_on_a_phone_without_javascript(public_page, public_service, notify):
    phone = public_page(javascript=False)
    reference = refer_myself(phone, lambda label: None, nhs_number="", risk_yes=False, email=True)
    row = SelfReferral.objects.get()
    assert row.reference == reference and not row.urgent and row.nhs_number == ""
    assert row.channels == ["sms", "email", "letter"]
    messages.acknowledge(row.pk)
    assert len(notify.sent()) == 1


def test_under_18_on_a_phone_without_javascript(public_page, public_service):
    phone = public_page(javascript=False)
    phone.goto("/self-referral/name/")
    phone.get_by_label("First name").fill("Sam")
    phone.get_by_label("Last name").fill("Young")
    go_on(phone)
    phone.get_by_label("Day").fill("1")
    phone.get_by_label("Month").fill("1")
    phone.get_by_label("Year").fill("2015")
    go_on(phone)
    expect(phone.get_by_role("heading", name="This service is for people aged 18 and over")).to_be_visible()
    assert SelfReferral.objects.count() == 0


def test_the_under_18_and_too_many_attempts_pages_pass_axe(public_page, axe_check, public_service, settings):
    phone = public_page(javascript=True)
    phone.goto("/self-referral/under-18/")
    expect(phone.get_by_text("0800 1111")).to_be_visible()
    axe_check(phone, "self-referral: under 18")
    settings.PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE = 0
    response = phone.goto("/self-referral/")
    assert response.status == 429
    expect(phone.get_by_role("heading", name="too many attempts")).to_be_visible()
    axe_check(phone, "self-referral: too many attempts (429)")
