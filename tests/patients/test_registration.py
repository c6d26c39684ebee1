from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from patients.codes import ReferralSource
from patients.models import Patient, Referral
from tests.factories import PatientFactory, ReferralFactory, ServiceFactory, TeamFactory, UserFactory


@pytest.fixture
def admin_user(db):
    service = ServiceFactory()
    TeamFactory(service=service, name="North team")
    return UserFactory(service=service, role=Role.REFERRAL_ADMIN)


def form_data(**overrides):
    data = {
        "nhs_number": "943 476 5919",
        "given_name": "Robin",
        "family_name": "Exampleton",
        "date_of_birth": "1980-02-29",
        "sex": "2",
        "ethnicity": "A",
        "phone": "07700 900123",
        "email": "robin@example.invalid",
        "contact_preferences": ["telephone", "video"],
        "consent_to_contact": "on",
        "source": ReferralSource.SELF,
        "received_on": (timezone.localdate() - timedelta(days=3)).isoformat(),
        "problem_descriptor": "F411",
        "notes": "Self-referred online",
    }
    data.update(overrides)
    return data


def test_admin_registers_patient_and_referral(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("patients:register"), form_data())
    patient = Patient.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("patients:detail", args=[patient.pk])
    assert patient.nhs_number == "9434765919" and patient.service == admin_user.service
    assert patient.contact_preferences == ["telephone", "video"]
    referral = Referral.objects.get()
    assert referral.patient == patient and referral.status == "received" and referral.created_by == admin_user
    # the problem descriptor known at referral is its first primary presenting problem (decision 023)
    assert set(AccessLog.objects.filter(action="create").values_list("object_type", flat=True)) == {
        "patient",
        "referral",
        "presentingproblem",
    }
    assert list(referral.presenting_problems.values_list("kind", "code", "recorded_on")) == [
        ("P", "F411", referral.received_on)
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"nhs_number": "9434765918"}, "nhs_number", "not a valid NHS number"),
        ({"nhs_number": "0000000000"}, "nhs_number", "not a valid NHS number"),
        ({"received_on": (date.today() + timedelta(days=5)).isoformat()}, "received_on", "cannot be in the future"),
        (
            {
                "date_of_birth": (date.today() - timedelta(days=17 * 365)).isoformat(),
                "received_on": date.today().isoformat(),
            },
            "received_on",
            "18 and over",
        ),
        ({"given_name": ""}, "given_name", "required"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_invalid_input_shows_field_errors_and_keeps_what_was_typed(client, admin_user, overrides, field, message):
    client.force_login(admin_user)
    data = form_data(**overrides)
    response = client.post(reverse("patients:register"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(str(e) for e in form.errors[field])
    assert form["family_name"].value() == "Exampleton"
    assert b'value="Self-referred online"' in response.content or b"Self-referred online" in response.content
    assert not Patient.objects.exists() and not Referral.objects.exists()


def test_duplicate_nhs_number_links_to_the_existing_record(client, admin_user):
    existing = ReferralFactory(patient__service=admin_user.service, patient__nhs_number="9434765919").patient
    client.force_login(admin_user)
    response = client.post(reverse("patients:register"), form_data())
    assert response.status_code == 200
    assert reverse("patients:detail", args=[existing.pk]).encode() in response.content
    assert Patient.objects.count() == 1


def test_duplicate_in_another_service_is_allowed(client, admin_user):
    PatientFactory(nhs_number="9434765919")  # another service's patient
    client.force_login(admin_user)
    response = client.post(reverse("patients:register"), form_data())
    assert response.status_code == 302
    assert Patient.objects.filter(nhs_number="9434765919").count() == 2


def test_clinicians_cannot_register(client, db):
    pwp = UserFactory(role=Role.PWP)
    client.force_login(pwp)
    assert client.get(reverse("patients:register")).status_code == 403


def test_hostile_input_gets_a_clear_error_never_a_500(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("patients:register"), form_data(given_name="A\x00B", family_name="x" * 5000))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Patient.objects.exists()


def test_the_form_offers_and_stores_the_national_codes_with_labels(client, admin_user):
    # given the form: every source of referral as its code and label (issue 17, decision 022)
    client.force_login(admin_user)
    page = client.get(reverse("patients:register")).content.decode()
    assert '<option value="B1">B1 Self-referral</option>' in page
    assert '<option value="Q1">Q1 Drop-in service</option>' in page
    # when a registration uses the codes
    client.post(
        reverse("patients:register"),
        form_data(
            source=ReferralSource.JOBCENTRE_PLUS,
            gender_identity="3",
            gender_identity_described="Genderqueer",
            preferred_language="pl",
            interpreter_required="on",
            employment_status="02",
            employment_status_recorded_on=(timezone.localdate() - timedelta(days=3)).isoformat(),
            long_term_conditions=["73211009", "195967001"],
        ),
    )
    # then the record stores them as they are
    patient = Patient.objects.get()
    assert patient.referrals.get().source == "M5"
    assert (patient.gender_identity, patient.gender_identity_described) == ("3", "Genderqueer")
    assert (patient.preferred_language, patient.interpreter_required, patient.employment_status) == ("pl", True, "02")
    assert patient.long_term_conditions == ["73211009", "195967001"]
    detail = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert "Non-binary (Genderqueer)" in detail and "Diabetes mellitus, Asthma" in detail


def test_an_old_local_value_is_refused_beside_its_field(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("patients:register"), form_data(source="self", gender_identity="Woman"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "source" in errors and "gender_identity" in errors
    assert not Patient.objects.exists()


def test_recording_the_exact_source_clears_the_local_one_kept_by_the_migration(admin_user):
    from patients.services import referral_update

    referral = ReferralFactory(
        patient__service=admin_user.service, source=ReferralSource.SECONDARY_CARE, source_recorded_as="acute"
    )
    # saving other fields keeps it
    referral = referral_update(user=admin_user, referral=referral, version=referral.version, notes="Checked")
    assert referral.source_recorded_as == "acute"
    # recording a different, exact source clears it
    referral = referral_update(
        user=admin_user, referral=referral, version=referral.version, source=ReferralSource.EMERGENCY_DEPARTMENT
    )
    assert (referral.source, referral.source_recorded_as) == ("H1", "")
