"""The API takes and gives the national codes with their labels (issue 17 item 1,
docs/decisions/022-national-codes.md); a local value from before national codes
is a 400 naming the valid codes, and writes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from patients import national_codes
from patients.codes import ReferralSource
from patients.models import Referral
from sessions.models import TherapySession


def _referral_body(world, source):
    return {
        "patient": str(world.referral.patient_id),
        "source": source,
        "received_on": (timezone.localdate() - timedelta(days=5)).isoformat(),
    }


@pytest.mark.parametrize("old", ["gp", "self", "primary_care", "secondary_care", "acute", "employer", "voluntary"])
def test_an_old_local_source_is_a_400_naming_the_valid_codes_and_writes_nothing(world, old):
    before = Referral.objects.count()
    response = world.client("manager").post("/api/v1/referrals/", _referral_body(world, old), format="json")
    assert response.status_code == 400, response.content
    message = response.json()["source"][0]
    assert f'"{old}" is not a national source of referral' in message
    assert "A1" in message and "B1" in message and "Q1" in message
    assert Referral.objects.count() == before


def test_a_national_source_is_taken_and_given_back_with_its_label(world):
    response = world.client("manager").post(
        "/api/v1/referrals/", _referral_body(world, ReferralSource.JOBCENTRE_PLUS), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["source_label"], body["source_recorded_as"]) == ("M5", "M5 Jobcentre Plus", "")
    assert Referral.objects.get(pk=body["id"]).source == "M5"


def test_the_schema_lists_the_national_codes_with_their_labels(world):
    schema = world.client("manager").get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for code in national_codes.SOURCE_OF_REFERRAL:
        assert f'"{code}"' in text
    assert "Jobcentre Plus" in text and "Talk type" in text and "Employment support" in text


def _session_body(world, **change):
    when = (timezone.now() - timedelta(days=1)).replace(microsecond=0)
    return {
        "referral": str(world.referral.pk),
        "started_at": when.isoformat(),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        **change,
    }


def test_a_session_takes_the_new_national_codes_and_gives_labels(world):
    response = world.client("own_pwp").post(
        "/api/v1/sessions/",
        _session_body(world, appointment_type="10", medium="13", interventions=[]),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["appointment_type"], body["appointment_type_label"]) == ("10", "Employment support")
    assert (body["medium"], body["medium_label"]) == ("13", "Chat room")
    # employment support: its SNOMED CT procedure code is the therapy type
    therapy = (body["therapy_type"], body["therapy_type_label"])
    assert therapy == (national_codes.EMPLOYMENT_SUPPORT, "Employment support")


@pytest.mark.parametrize(
    ("field", "value"), [("medium", "telephone"), ("appointment_type", "treatment"), ("therapy_type", "cbt")]
)
def test_a_session_with_a_word_for_a_code_is_a_400_naming_the_codes(world, field, value):
    before = TherapySession.objects.count()
    response = world.client("own_pwp").post("/api/v1/sessions/", _session_body(world, **{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert "Use one of:" in response.json()[field][0]
    assert TherapySession.objects.count() == before


def _patient_body(**change):
    import random

    from patients import nhs_number

    return {
        "nhs_number": nhs_number.generate(random.Random(17)),
        "given_name": "Coded",
        "family_name": "Patient",
        "date_of_birth": "1985-06-07",
        "sex": "2",
        **change,
    }


def test_a_patient_takes_the_national_codes_and_gives_their_labels(world):
    response = world.client("manager").post(
        "/api/v1/patients/",
        _patient_body(
            gender_identity="2",
            gender_identity_described="Woman",
            preferred_language="cy",
            interpreter_required=True,
            employment_status="08",
            long_term_conditions=["13645005"],
        ),
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["gender_identity"], body["gender_identity_label"]) == ("2", "Female (including trans woman)")
    assert (body["employment_status"], body["employment_status_label"]) == ("08", "Retired")
    assert (body["preferred_language"], body["interpreter_required"]) == ("cy", True)
    assert body["long_term_conditions"] == ["13645005"]


@pytest.mark.parametrize(
    ("field", "value"), [("gender_identity", "Woman"), ("employment_status", "retired"), ("sex", "F")]
)
def test_a_patient_with_a_word_for_a_code_is_a_400_naming_the_codes(world, field, value):
    response = world.client("manager").post("/api/v1/patients/", _patient_body(**{field: value}), format="json")
    assert response.status_code == 400, response.content
    assert "Use one of:" in response.json()[field][0]
