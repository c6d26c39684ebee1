"""Two people editing the same record: the second save, made from the version
both read, is refused with a clear message, keeps what was typed, and loses
nothing of the first. One compare-and-swap in the services (iapt/concurrency.py)
serves the web forms and the API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Role
from core.concurrency import VersionConflict
from patients import services
from patients.models import Patient
from tests.factories import ReferralFactory, ServiceFactory, SupervisionAssignmentFactory, UserFactory


@pytest.fixture
def world(db):
    service = ServiceFactory()
    pwp = UserFactory(service=service, role=Role.PWP)
    users = {
        "own_pwp": pwp,
        "own_supervisor": UserFactory(service=service, role=Role.SUPERVISOR, band=7),
        "manager": UserFactory(service=service, role=Role.SERVICE_MANAGER, band=8),
        "admin": UserFactory(service=service, role=Role.REFERRAL_ADMIN, band=3),
    }
    SupervisionAssignmentFactory(supervisor=users["own_supervisor"], supervisee=pwp)
    referral = ReferralFactory(
        patient__service=service, assigned_practitioner=pwp, received_on=timezone.localdate() - timedelta(days=30)
    )
    return type("World", (), {"users": users, "referral": referral})


def test_the_service_refuses_the_second_of_two_saves_from_one_version(world):
    patient = Patient.objects.get(pk=world.referral.patient_id)
    read = patient.version
    services.patient_update(user=world.users["manager"], patient=patient, version=read, given_name="Sam")
    with pytest.raises(VersionConflict):
        services.patient_update(user=world.users["admin"], patient=patient, version=read, family_name="Jones")
    patient.refresh_from_db()
    assert (patient.given_name, patient.family_name) == ("Sam", world.referral.patient.family_name)


def test_a_stale_web_form_is_refused_with_a_message_and_keeps_what_was_typed(world, client):
    # given two people opened the patient's edit page at the same version
    patient = Patient.objects.get(pk=world.referral.patient_id)
    url = f"/patients/{patient.pk}/edit/"
    form = {
        "version": patient.version,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "ethnicity": patient.ethnicity,
    }
    # when the first saves a new telephone number
    services.patient_update(user=world.users["manager"], patient=patient, version=patient.version, phone="01632 960444")
    # and the second saves from the page they opened before
    client.force_login(world.users["admin"])
    response = client.post(url, {**form, "address": "1 Typed Street"})
    # then the page comes back with the message, what they typed, and nothing of theirs saved
    assert response.status_code == 200
    page = response.content.decode()
    assert "Someone else saved" in page
    assert "1 Typed Street" in page
    patient.refresh_from_db()
    assert patient.phone == "01632 960444" and patient.address == ""
    # and a second, deliberate save (now from the current version) goes through
    response = client.post(url, {**form, "version": patient.version, "address": "1 Typed Street"})
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.address == "1 Typed Street"


def test_a_stale_referral_form_is_refused(world, client):
    referral = world.referral
    url = f"/referrals/{referral.pk}/edit/"
    client.force_login(world.users["own_pwp"])
    page = client.get(url)
    assert page.status_code == 200
    form = {
        "version": referral.version,
        "source": referral.source,
        "received_on": referral.received_on.isoformat(),
        "problem_descriptor": "F411",
        "notes": "typed by the second editor",
    }
    services.referral_update(
        user=world.users["own_supervisor"], referral=referral, version=referral.version, notes="first editor"
    )
    response = client.post(url, form)
    assert response.status_code == 200 and "Someone else saved" in response.content.decode()
    assert "typed by the second editor" in response.content.decode()
    referral.refresh_from_db()
    assert referral.reason_notes == "first editor" and referral.problem_descriptor == "F32"


@pytest.mark.parametrize(
    "field,value", [("given_name", "Ro\x00bin"), ("family_name", "x" * 5000), ("date_of_birth", "2999-01-01")]
)
def test_hostile_input_on_the_patient_form_is_a_field_error_and_writes_nothing(world, client, field, value):
    patient = Patient.objects.get(pk=world.referral.patient_id)
    form = {
        "version": patient.version,
        "given_name": patient.given_name,
        "family_name": patient.family_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "ethnicity": patient.ethnicity,
        field: value,
    }
    client.force_login(world.users["admin"])
    response = client.post(f"/patients/{patient.pk}/edit/", form)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)
    after = Patient.objects.get(pk=patient.pk)
    assert (after.version, after.given_name, after.family_name) == (
        patient.version,
        patient.given_name,
        patient.family_name,
    )


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_from_one_version_let_exactly_one_through():
    import threading

    from django.db import connection

    # given two editors who read the same version
    service = ServiceFactory()
    editors = [UserFactory(service=service, role=Role.SERVICE_MANAGER, band=8) for _ in range(2)]
    referral = ReferralFactory(patient__service=service)
    patient = Patient.objects.get(pk=referral.patient_id)
    read = patient.version
    barrier = threading.Barrier(2)
    outcomes = []

    def save(user, phone):
        barrier.wait()
        try:
            services.patient_update(user=user, patient=Patient.objects.get(pk=patient.pk), version=read, phone=phone)
            outcomes.append(("saved", phone))
        except VersionConflict:
            outcomes.append(("refused", phone))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=save, args=(editors[0], "01632 960001")),
        threading.Thread(target=save, args=(editors[1], "01632 960002")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then one save went through whole and the other was refused
    assert sorted(kind for kind, _ in outcomes) == ["refused", "saved"]
    saved_phone = next(phone for kind, phone in outcomes if kind == "saved")
    patient.refresh_from_db()
    assert patient.phone == saved_phone and patient.version == read + 1
