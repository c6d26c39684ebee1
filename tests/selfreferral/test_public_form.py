"""The public self-referral form (issue 20 items 1 and 4), through Django's test
client against the real database and Redis."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from selfreferral.codes import MessageStatus
from selfreferral.models import SelfReferral
from supervision.models import Notification
from tests.factories import UserFactory

from .conftest import ANSWERS, step_url, walk

pytestmark = pytest.mark.django_db


def submit(client):
    return client.post(reverse("selfreferral:check"), {"email_confirm": ""})


def test_a_person_refers_themselves_and_is_given_a_reference(client, service):
    walk(client)
    check = client.get(reverse("selfreferral:check"))
    assert check.status_code == 200
    assert "O’Selfton" in check.content.decode() or "O&#x27;Selfton" in check.content.decode()
    response = submit(client)
    assert response.status_code == 302 and response.url == reverse("selfreferral:done")
    row = SelfReferral.objects.get()
    assert row.family_name == "O'Selfton"  # apostrophes folded as patients store them
    assert row.postcode == "LS1 4AP"
    assert row.channels == ["sms", "letter"]
    assert row.urgent is False
    assert row.acknowledgement == MessageStatus.PENDING
    assert row.risk_answers == {"thoughts": False, "plans": False, "others": False}
    done = client.get(reverse("selfreferral:done"))
    assert row.reference in done.content.decode()
    assert row.reference not in response.url
    # the public's write is audited as the public form's, naming no patient
    entry = AccessLog.objects.get(object_type="self_referral", action="create")
    assert entry.role == "public" and entry.patient_id is None


def test_submitting_twice_stores_once(client, service):
    walk(client)
    session_key = client.cookies["sessionid"].value
    state = client.session["selfreferral"]
    submit(client)
    # the same form posted again from a copy of the session (a second tab, a resent POST)
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore(session_key=session_key)
    store["selfreferral"] = state
    store.save()
    submit(client)
    assert SelfReferral.objects.count() == 1


def test_field_errors_keep_what_was_typed(client, service):
    walk(client, until="address")
    response = client.post(
        step_url("address"),
        {"address_line_1": "1 High Street", "address_line_2": "", "town": "Leeds", "postcode": "NOT A CODE"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Enter a real postcode, like LS1 4AP" in page
    assert 'value="1 High Street"' in page and 'value="NOT A CODE"' in page
    assert 'href="#id_postcode"' in page


def test_an_nhs_number_must_pass_the_modulus_11_check(client, service):
    walk(client, until="nhs-number")
    refused = client.post(step_url("nhs-number"), {"nhs_number": "943 476 5918"})
    assert "Check your NHS number" in refused.content.decode()
    assert 'value="943 476 5918"' in refused.content.decode()
    accepted = client.post(step_url("nhs-number"), {"nhs_number": "943 476 5919"})
    assert accepted.status_code == 302
    assert client.session["selfreferral"]["data"]["nhs-number"] == {"nhs_number": "943 476 5919"}


def test_a_text_message_needs_a_mobile_number(client, service):
    walk(client, until="contact")
    response = client.post(step_url("contact"), {"mobile": "", "email": "", "phone": "", "channels": ["sms"]})
    assert "Enter a mobile number, or untick text message" in response.content.decode()


def test_a_date_of_birth_that_is_not_a_date_is_refused(client, service):
    walk(client, until="date-of-birth")
    response = client.post(step_url("date-of-birth"), {"day": "31", "month": "2", "year": "1990"})
    assert "Date of birth must be a real date" in response.content.decode()
    assert 'value="31"' in response.content.decode()


def test_under_18_sees_where_to_go_and_nothing_is_kept(client, service):
    walk(client, until="date-of-birth")
    today = timezone.localdate()
    response = client.post(
        step_url("date-of-birth"), {"day": str(today.day), "month": str(today.month), "year": str(today.year - 17)}
    )
    assert response.url == reverse("selfreferral:under_18")
    assert "selfreferral" not in client.session
    page = client.get(response.url).content.decode()
    assert "18 and over" in page and "We have not kept anything" in page
    assert SelfReferral.objects.count() == 0
    # and the form cannot be sent on from there
    assert client.get(reverse("selfreferral:check")).status_code == 302
    assert submit(client).status_code == 302 and SelfReferral.objects.count() == 0


def test_pages_ahead_send_the_person_back_to_the_first_unanswered(client, service):
    walk(client, until="gp")
    response = client.get(step_url("problem"))
    assert response.url == step_url("gp")


def test_a_risk_answer_shows_the_urgent_help_at_once_and_marks_the_referral_urgent(client, service):
    duty = UserFactory(role=Role.SUPERVISOR, service=service)
    UserFactory(role=Role.PWP, service=service)
    walk(client, until="risk")
    response = client.post(step_url("risk"), {"thoughts": "yes", "plans": "no", "others": "no"})
    assert response.url == reverse("selfreferral:urgent")
    page = client.get(response.url).content.decode()
    assert "116 123" in page and "option 2" in page and "999" in page
    client.post(step_url("about-you"), ANSWERS["about-you"])
    submit(client)
    row = SelfReferral.objects.get()
    assert row.urgent is True
    [notice] = Notification.objects.all()
    assert notice.user == duty
    assert row.reference in notice.message and "Selfton" not in notice.message


def test_change_links_come_back_to_the_check_page(client, service):
    walk(client)
    response = client.post(step_url("gp") + "?change=1", {"gp_practice_name": "Hillside Surgery"})
    assert response.url == reverse("selfreferral:check")
    assert "Hillside Surgery" in client.get(response.url).content.decode()


def test_a_filled_honeypot_is_dropped_without_a_word(client, service):
    walk(client, overrides={"name": {"website": "http://spam.example"}})
    response = submit(client)
    assert response.url == reverse("selfreferral:done")
    assert "Your reference is" in client.get(response.url).content.decode()
    assert SelfReferral.objects.count() == 0


def test_the_second_honeypot_on_the_check_page(client, service):
    walk(client)
    client.post(reverse("selfreferral:check"), {"email_confirm": "bot@example.com"})
    assert SelfReferral.objects.count() == 0


def test_a_submit_sooner_than_the_minimum_time_is_dropped(client, service, settings):
    settings.SELF_REFERRAL_MIN_SECONDS = 20
    walk(client)
    response = submit(client)
    assert response.url == reverse("selfreferral:done")
    assert SelfReferral.objects.count() == 0
    # the same answers after the minimum time are kept
    walk(client)
    session = client.session
    session["selfreferral"]["started"] = (timezone.now() - timedelta(seconds=21)).isoformat()
    session.save()
    submit(client)
    assert SelfReferral.objects.count() == 1


def test_the_per_address_rate_limit_gives_a_clear_429_page(client, service, settings):
    settings.PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE = 3
    for _ in range(3):
        assert client.get(reverse("selfreferral:start")).status_code == 200
    response = client.get(reverse("selfreferral:start"))
    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "too many attempts" in response.content.decode()


def test_the_per_address_submit_limit(client, service, settings):
    settings.SELF_REFERRAL_SUBMITS_PER_ADDRESS_PER_HOUR = 1
    walk(client)
    submit(client)
    walk(client)
    assert submit(client).status_code == 429
    assert SelfReferral.objects.count() == 1


def test_the_per_form_submit_limit(client, service, settings):
    settings.SELF_REFERRAL_SUBMITS_PER_MINUTE = 0
    walk(client)
    assert submit(client).status_code == 429
    assert SelfReferral.objects.count() == 0


def test_public_pages_are_not_cached_and_carry_no_identifier_in_urls(client, service):
    walk(client)
    response = client.get(reverse("selfreferral:check"))
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response


def test_the_acknowledgement_reaches_notify_with_the_reference_only(client, service, notify):
    from selfreferral import messages

    walk(client)
    submit(client)
    row = SelfReferral.objects.get()
    assert messages.acknowledge(row.pk) == MessageStatus.SENT
    assert messages.acknowledge(row.pk) == ""  # a second run sends nothing
    [sms] = notify.sent("sms")
    assert sms["phone_number"] == "07700900123"
    text = sms["personalisation"]["message"]
    assert row.reference in text
    assert "Robin" not in text and "Selfton" not in text and "1984" not in text
    row.refresh_from_db()
    assert row.acknowledgement == MessageStatus.SENT and row.acknowledgement_notify_id == sms["id"]


def test_the_acknowledgement_task_carries_only_the_row_id(client, service):
    from outbox.models import OutboxMessage

    walk(client)
    submit(client)
    row = SelfReferral.objects.get()
    message = OutboxMessage.objects.get(task="selfreferral.acknowledge")
    assert message.args == [str(row.pk)]
