"""Issue 20: a person refers themselves on a phone-sized browser, with JavaScript
on (axe-core on every page of the journey: 0 violations of WCAG 2.2 A/AA) and
with it off (locators and clicks only: page.evaluate hangs without JavaScript);
the acknowledgement reaches the Notify stand-in; an administrator accepts it."""

import re
from datetime import time

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from accounts.models import Role
from appointments.models import Appointment, WorkingHours
from outbox.models import OutboxMessage
from patients.codes import ReferralSource
from patients.models import Referral
from questionnaires.tasks import send_booked_link
from selfreferral import messages
from selfreferral.codes import Status
from selfreferral.models import SelfReferral
from sessions.models import MeasureScore, ReportedBy, TherapySession
from supervision.models import DutyWorker, Notification
from supervision.tasks import email_notifications
from tests.factories import ServiceFactory, UserFactory
from tests.notify_standin import NotifyStandIn

from .test_appointments_journey import book_first_appointment

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# what the person answers before their first appointment, by measure
ANSWERED = {"PHQ9": [1, 2, 1, 1, 0, 1, 1, 0, 0], "GAD7": [2, 1, 1, 1, 1, 0, 0], "WSAS": [2, 3, 1, 2, 4]}
FREQUENCY = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
LABELS = {"PHQ9": FREQUENCY, "GAD7": FREQUENCY}


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


def test_the_whole_journey_self_referral_to_a_saved_session_with_the_patients_answers(
    public_page, page, login, axe_check, public_service, notify, smtp_server, settings
):
    """Issue 20's "done when": a person refers themselves on a phone (a risk answer
    among them: it reaches the duty worker, by email at once); an administrator
    accepts and allocates; the PWP books the first appointment; the person
    answers PHQ-9 and GAD-7 (and WSAS, due at a first session) from the link on
    their phone; the PWP finds them filled in the session form and saves it."""
    settings.QUESTIONNAIRE_RATE_PER_HOUR = 100_000  # every browser here comes from 127.0.0.1
    settings.QUESTIONNAIRE_SMS_TEMPLATE_ID = "55555555-5555-4555-8555-555555555555"
    supervisor = UserFactory(role=Role.SUPERVISOR, service=public_service, email="supervisor@example.invalid")
    duty = UserFactory(role=Role.PWP, service=public_service, email="duty@example.invalid")
    DutyWorker.objects.create(service=public_service, user=duty)
    UserFactory(username="admin20", role=Role.REFERRAL_ADMIN, service=public_service)
    pwp = UserFactory(
        username="pwp20", role=Role.PWP, service=public_service, first_name="Pat", last_name="Practitioner"
    )
    for weekday in range(7):
        WorkingHours.objects.create(practitioner=pwp, weekday=weekday, start_time=time(0), end_time=time(23, 59))

    # a person refers themselves on a phone, answering a risk question yes
    phone = public_page(javascript=True)
    reference = refer_myself(
        phone, lambda label: axe_check(phone, f"self-referral: {label}"), nhs_number="943 476 5919", risk_yes=True
    )
    row = SelfReferral.objects.get()
    assert row.reference == reference and row.urgent and row.gp_practice_name == "Hillside Surgery"
    assert row.ethnicity == "Z" and row.stated_gender == "2"
    # the risk answer reached the duty worker at once: in the app, and by email through the SMTP server
    # (the email queued in the submit's transaction; the worker sends it)
    [notice] = Notification.objects.all()
    assert notice.user == duty and reference in notice.message
    assert not Notification.objects.filter(user=supervisor).exists()  # the duty worker is set: only they
    for queued in OutboxMessage.objects.filter(task="supervision.email_notifications"):  # as the worker does
        email_notifications(*queued.args)
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["duty@example.invalid"]
    assert "urgent self-referral" in envelope.content.decode() and reference not in envelope.content.decode()

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
    # and allocates it from the incoming referrals page
    page.goto("/referrals/incoming/")
    waiting = page.locator("#incoming-table tbody tr").filter(has_text="O'Selfton, Robin")
    waiting.get_by_role("link", name="Allocate").click()
    page.get_by_label("Pat Practitioner").check()
    page.get_by_role("button", name="Allocate").click()
    expect(page.get_by_text("Allocated to Pat Practitioner")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # the PWP books the first appointment from the waiting list
    login("pwp20")
    book_first_appointment(page, "Robin O'Selfton", appointment_type="01")
    appointment = Appointment.objects.get(referral=referral)

    # the booking's task (as the worker runs it) texts the person their link through Notify
    send_booked_link(appointment.pk)
    link_sms = notify.sent("sms")[-1]
    assert link_sms["phone_number"] == "07700900123" and "Selfton" not in str(link_sms["personalisation"])
    token = link_sms["personalisation"]["link"].rstrip("/").rsplit("/", 1)[-1]

    # the person answers on their phone: date of birth, then one measure a page
    phone.goto(f"/q/{token}/")
    phone.get_by_label("Day").fill("15")
    phone.get_by_label("Month").fill("3")
    phone.get_by_label("Year").fill("1984")
    phone.get_by_role("button", name="Continue").click()
    answered = {}
    while (heading := phone.get_by_role("heading", level=1).inner_text()) != "Check your answers":
        code = next(code for code in ANSWERED if code in heading.replace("-", ""))
        for number, value in enumerate(ANSWERED[code], start=1):
            group = phone.get_by_role("group", name=re.compile(rf"^{number}\. "))
            group.get_by_label(LABELS.get(code, [str(v) for v in range(9)])[value], exact=True).check()
        answered[code] = ANSWERED[code]
        phone.get_by_role("button", name="Continue").click()
    assert set(answered) >= {"PHQ9", "GAD7"}
    phone.get_by_role("button", name="Send my answers").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Answers sent")

    # the PWP opens the appointment and logs the session: the answers are filled in, to go through
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    expect(page.locator("#patient-answers")).to_be_visible()
    for number, value in enumerate(ANSWERED["PHQ9"], start=1):
        expect(page.locator(f"#id_PHQ9_{number}_{value}")).to_be_checked()
    expect(page.locator("#total-PHQ9")).to_contain_text(f"Total {sum(ANSWERED['PHQ9'])}")
    expect(page.locator("#total-GAD7")).to_contain_text(f"Total {sum(ANSWERED['GAD7'])}")
    page.get_by_label("Notes").fill("Went through the questionnaires with Robin")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector("#measures-chart")
    session = TherapySession.objects.get(referral=referral)
    counted = {m.instrument: m.total for m in MeasureScore.objects.counting().filter(session=session)}
    assert counted["PHQ9"] == sum(ANSWERED["PHQ9"]) and counted["GAD7"] == sum(ANSWERED["GAD7"])
    patients_own = MeasureScore.objects.filter(referral=referral, reported_by=ReportedBy.PATIENT)
    assert {m.instrument for m in patients_own} == set(answered)
    assert all(m.confirmed_as_id for m in patients_own)


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
