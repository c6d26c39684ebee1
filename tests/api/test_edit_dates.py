"""Issue 14 item 3: edits run the same date rules as registration, over the API
(PATCH) and on the web edit pages; registration refuses the same values."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from patients.codes import ReferralSource
from patients.models import Patient, Referral

FUTURE = (timezone.localdate() + timedelta(days=3)).isoformat()
PATIENT_DATES = [("date_of_birth", "0001-01-01"), ("date_of_birth", FUTURE), ("date_of_birth", "2015-01-01")]
REFERRAL_DATES = [("received_on", "0019-06-01"), ("received_on", FUTURE), ("received_on", "1999-06-01")]


@pytest.mark.parametrize("field,value", PATIENT_DATES)
def test_patching_a_patient_with_a_date_registration_refuses_is_a_400(world, field, value):
    patient = world.referral.patient
    response = world.client("admin").patch(
        f"/api/v1/patients/{patient.pk}/", {field: value, "version": patient.version}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert str(Patient.objects.get(pk=patient.pk).date_of_birth) != value


@pytest.mark.parametrize("field,value", REFERRAL_DATES)
def test_patching_a_referral_with_a_date_registration_refuses_is_a_400(world, field, value):
    referral = world.other_referral
    response = world.client("admin").patch(
        f"/api/v1/referrals/{referral.pk}/", {field: value, "version": referral.version}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()
    assert str(Referral.objects.get(pk=referral.pk).received_on) != value


@pytest.mark.parametrize("field,value", PATIENT_DATES + REFERRAL_DATES)
def test_the_web_edit_pages_refuse_the_same_dates_beside_the_field(world, field, value):
    client = Client()
    client.force_login(world.users["admin"])
    referral = world.other_referral
    patient = referral.patient
    if field == "date_of_birth":
        url = reverse("patients:edit", args=[patient.pk])
        data = {
            "version": patient.version,
            "given_name": patient.given_name,
            "family_name": patient.family_name,
            "date_of_birth": value,
            "sex": patient.sex,
            "ethnicity": patient.ethnicity,
        }
    else:
        url = reverse("patients:referral_edit", args=[referral.pk])
        data = {"version": referral.version, "source": referral.source, "received_on": value}
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["form"].errors.get(field)


@pytest.mark.parametrize("value", ["0019-06-01", "1999-06-01"])
def test_registration_refuses_a_referral_date_decades_back(world, value):
    response = world.client("admin").post(
        "/api/v1/referrals/",
        {"patient": str(world.referral.patient_id), "source": ReferralSource.SELF, "received_on": value},
        format="json",
    )
    assert response.status_code == 400 and "received_on" in response.json()
