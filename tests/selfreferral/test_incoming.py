"""Incoming self-referrals for staff (issue 20 item 2): the list, the match,
accept / merge / reject, their audit rows, one-time tokens and query budgets."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from patients.codes import ReferralSource
from patients.models import Patient, Referral
from selfreferral import services
from selfreferral.codes import MessageStatus, RejectReason, Status
from selfreferral.matching import NAME_DOB_POSTCODE, NHS_NUMBER, match_for
from selfreferral.models import SelfReferral
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db


def answers(**overrides) -> services.Answers:
    values = {
        "given_name": "Robin",
        "family_name": "Selfton",
        "date_of_birth": date(1984, 3, 15),
        "nhs_number": "",
        "address": "1 High Street, Leeds",
        "postcode": "LS1 4AP",
        "gp_practice_name": "Riverside Medical Centre",
        "mobile": "07700 900123",
        "email": "",
        "phone": "",
        "channels": ["sms"],
        "problem": "Low mood for months.",
        "duration": "lt1y",
        "hopes": "",
        "risk_answers": {"thoughts": False, "plans": False, "others": False},
        "stated_gender": "2",
        "gender_identity": "",
        "ethnicity": "A",
    }
    values.update(overrides)
    return services.Answers(**values)


def submitted(*, minutes_ago: int = 0, **overrides) -> SelfReferral:
    row = services.self_referral_submit(
        answers=answers(**overrides), submission_key=uuid.uuid4(), started_at=timezone.now()
    )
    if minutes_ago:
        SelfReferral.objects.filter(pk=row.pk).update(submitted_at=timezone.now() - timedelta(minutes=minutes_ago))
        row.refresh_from_db()
    return row


@pytest.fixture
def admin(service):
    return UserFactory(role=Role.REFERRAL_ADMIN, service=service)


def test_the_list_is_urgent_first_then_oldest(client, service, admin):
    old = submitted(minutes_ago=60, family_name="Oldest")
    newer = submitted(minutes_ago=10, family_name="Newer")
    urgent = submitted(minutes_ago=1, family_name="Urgent", risk_answers={"thoughts": True})
    client.force_login(admin)
    response = client.get(reverse("selfreferral_staff:incoming"))
    assert [r.pk for r in response.context["rows"]] == [urgent.pk, old.pk, newer.pk]
    assert AccessLog.objects.filter(action="list", object_type="incoming_self_referrals").count() == 1


@pytest.mark.parametrize("size", [2, 12])
def test_the_list_has_a_query_budget(client, service, admin, size, django_assert_max_num_queries):
    for i in range(size):
        PatientFactory(
            service=service,
            given_name="Robin",
            family_name=f"Match{i}",
            date_of_birth=date(1984, 3, 15),
            postcode="LS1 4AP",
        )
        submitted(family_name=f"Match{i}")
    client.force_login(admin)
    # session + user (2), savepoints around the view (0-2), rows (1), the rows' name keys (1),
    # name-key candidates (1), the audit insert (1), the user's nav counts (a few): the same at both sizes
    with django_assert_max_num_queries(14):
        response = client.get(reverse("selfreferral_staff:incoming"))
    assert all(r.match and r.match.rule == NAME_DOB_POSTCODE for r in response.context["rows"])


def test_a_pwp_has_no_incoming_self_referrals(client, service):
    submitted()
    client.force_login(UserFactory(role=Role.PWP, service=service))
    assert client.get(reverse("selfreferral_staff:incoming")).status_code == 404


def test_another_services_self_referral_is_not_found(client, service, admin):
    row = submitted()
    other = UserFactory(role=Role.REFERRAL_ADMIN)
    client.force_login(other)
    assert client.get(reverse("selfreferral_staff:detail", args=[row.pk])).status_code == 404


def test_match_by_nhs_number(service):
    patient = PatientFactory(service=service, nhs_number="9434765919", family_name="Different")
    row = submitted(nhs_number="9434765919")
    match = match_for(row)
    assert match.patient == patient and match.rule == NHS_NUMBER


@pytest.mark.parametrize(
    ("family_name", "postcode", "dob", "matches"),
    [
        ("SELFTON", "ls14ap", date(1984, 3, 15), True),  # any case, any spacing
        ("Sélfton", "LS1 4AP", date(1984, 3, 15), True),  # accents ignored (the name key)
        ("Selfton", "LS2 4AP", date(1984, 3, 15), False),  # another postcode
        ("Selfton", "LS1 4AP", date(1984, 3, 16), False),  # another date of birth
        ("Shelton", "LS1 4AP", date(1984, 3, 15), False),  # another name
    ],
)
def test_match_by_name_date_of_birth_and_postcode(service, family_name, postcode, dob, matches):
    patient = PatientFactory(
        service=service, given_name="robin", family_name=family_name, postcode=postcode, date_of_birth=dob
    )
    match = match_for(submitted())
    assert (match is not None and match.patient == patient) is matches


def test_a_patient_of_another_service_never_matches(service):
    PatientFactory(nhs_number="9434765919")  # another service
    assert match_for(submitted(nhs_number="9434765919")) is None


def test_accept_makes_a_patient_and_a_self_referral_once(client, service, admin):
    row = submitted(nhs_number="9434765919")
    assert Patient.objects.count() == 0  # nothing in the record before a decision
    client.force_login(admin)
    token = uuid.uuid4().hex
    url = reverse("selfreferral_staff:accept", args=[row.pk])
    first = client.post(url, {"form_token": token, "nhs_number": ""})
    second = client.post(url, {"form_token": token, "nhs_number": ""})  # the double click
    patient = Patient.objects.get()
    assert first.url == second.url == reverse("patients:detail", args=[patient.pk])
    referral = Referral.objects.get()
    assert referral.source == ReferralSource.SELF and referral.patient == patient
    assert referral.received_on == timezone.localdate(row.submitted_at)
    assert patient.family_name == "Selfton" and patient.consent_sms_reminders is True
    row.refresh_from_db()
    assert row.status == Status.ACCEPTED and row.referral == referral and row.decided_by == admin
    assert AccessLog.objects.filter(object_type="self_referral", action="update", patient_id=patient.pk).exists()
    assert AccessLog.objects.filter(object_type="patient", action="create", patient_id=patient.pk).exists()


def test_accept_without_an_nhs_number_asks_for_one_and_keeps_the_row(client, service, admin):
    row = submitted()
    client.force_login(admin)
    url = reverse("selfreferral_staff:accept", args=[row.pk])
    response = client.post(url, {"form_token": uuid.uuid4().hex, "nhs_number": "9434765918"})
    assert response.status_code == 200
    assert "not a valid NHS number" in response.content.decode()
    assert Patient.objects.count() == 0
    row.refresh_from_db()
    assert row.status == Status.NEW
    response = client.post(url, {"form_token": uuid.uuid4().hex, "nhs_number": "943 476 5919"})
    assert Patient.objects.get().nhs_number == "9434765919"


def test_a_decided_self_referral_cannot_be_decided_again(service, admin):
    row = submitted(nhs_number="9434765919")
    services.self_referral_accept(user=admin, self_referral_id=row.pk)
    with pytest.raises(Exception, match="already decided"):
        services.self_referral_reject(
            user=admin, self_referral_id=row.pk, reason=RejectReason.DUPLICATE, tell_person=False
        )
    assert Patient.objects.count() == 1


def test_merge_adds_a_referral_to_the_matched_patient(client, service, admin):
    patient = PatientFactory(
        service=service, given_name="Robin", family_name="Selfton", date_of_birth=date(1984, 3, 15), postcode="LS1 4AP"
    )
    row = submitted()
    client.force_login(admin)
    response = client.post(
        reverse("selfreferral_staff:merge", args=[row.pk]), {"form_token": uuid.uuid4().hex, "patient": patient.pk}
    )
    assert response.url == reverse("patients:detail", args=[patient.pk])
    assert Patient.objects.count() == 1
    referral = Referral.objects.get()
    assert referral.patient == patient and referral.source == ReferralSource.SELF
    row.refresh_from_db()
    assert row.status == Status.MERGED
    entry = AccessLog.objects.get(object_type="self_referral", action="update")
    assert entry.detail["matched_by"] == NAME_DOB_POSTCODE


def test_merge_into_a_patient_that_does_not_match_is_refused(client, service, admin):
    stranger = PatientFactory(service=service)
    row = submitted()
    client.force_login(admin)
    response = client.post(
        reverse("selfreferral_staff:merge", args=[row.pk]), {"form_token": uuid.uuid4().hex, "patient": stranger.pk}
    )
    assert response.status_code == 200
    assert Referral.objects.count() == 0


def test_reject_with_a_message_to_the_person(client, service, admin, notify):
    from selfreferral import messages

    row = submitted()
    client.force_login(admin)
    response = client.post(
        reverse("selfreferral_staff:reject", args=[row.pk]),
        {"form_token": uuid.uuid4().hex, "reason": RejectReason.OUT_OF_AREA, "tell_person": "on"},
    )
    assert response.url == reverse("selfreferral_staff:incoming")
    row.refresh_from_db()
    assert row.status == Status.REJECTED and row.reply == MessageStatus.PENDING
    assert messages.reply(row.pk) == MessageStatus.SENT
    [sms] = notify.sent("sms")
    assert row.reference in sms["personalisation"]["message"]
    assert Patient.objects.count() == 0 and Referral.objects.count() == 0


def test_a_nuisance_referral_is_rejected_without_a_message(service, admin):
    row = services.self_referral_reject(
        user=admin, self_referral_id=submitted().pk, reason=RejectReason.NOT_GENUINE, tell_person=True
    )
    assert row.reply == MessageStatus.NONE


def test_viewing_one_is_audited_with_the_matched_patient(client, service, admin):
    patient = PatientFactory(service=service, nhs_number="9434765919")
    row = submitted(nhs_number="9434765919")
    client.force_login(admin)
    response = client.get(reverse("selfreferral_staff:detail", args=[row.pk]))
    assert response.status_code == 200
    entry = AccessLog.objects.get(object_type="self_referral", action="view")
    assert entry.patient_id == patient.pk


def test_the_incoming_referrals_page_points_to_the_waiting_self_referrals(client, service, admin):
    submitted(risk_answers={"thoughts": True})
    submitted()
    client.force_login(admin)
    page = client.get(reverse("stepped_care:incoming")).content.decode()
    assert "Self-referrals waiting for a decision: <strong>2</strong>" in page
    assert "1 urgent" in page


def test_the_demo_adds_incoming_self_referrals_one_urgent_one_matching(service):
    import random

    from selfreferral import demo
    from selfreferral.matching import matches_for

    PatientFactory(service=service, postcode="LS6 2AB")
    demo.build({"service": service, "rng": random.Random(1)})
    rows = list(SelfReferral.objects.filter(status=Status.NEW))
    assert len(rows) == 3
    assert sum(r.urgent for r in rows) == 1
    assert sum(m is not None for m in matches_for(rows).values()) == 1
