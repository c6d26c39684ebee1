"""Hostile input on the API (issue 7): NUL bytes, 5,000-character names, a
10 MB body, dates far in the future or before the referral, wrong types and
unknown codes. Each answers 400 (413 for the body) with a message on the
field, writes nothing, and is never a 500."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import AccessLog
from patients.models import Patient, Referral
from sessions.models import MeasureScore, TherapySession
from tests.factories import gad7, phq9


def _counts():
    return (
        Patient.objects.count(),
        Referral.objects.count(),
        TherapySession.objects.count(),
        MeasureScore.objects.count(),
        AccessLog.objects.filter(action__in=["create", "update"]).count(),
    )


def _session(world, **changes):
    body = {
        "referral": str(world.referral.pk),
        "started_at": (timezone.now() - timedelta(days=1)).isoformat(),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "measures": [{"instrument": "PHQ9", "items": phq9(11)}, {"instrument": "GAD7", "items": gad7(9)}],
    }
    body.update(changes)
    return body


def _patient(**changes):
    body = {
        "nhs_number": "9434765919",
        "given_name": "Robin",
        "family_name": "Hostile",
        "date_of_birth": "1980-01-01",
        "sex": "2",
    }
    body.update(changes)
    return body


SESSION_CASES = {
    "NUL in the notes": ({"notes": "before\x00after"}, "notes"),
    "started in the far future": ({"started_at": "2999-01-01T10:00:00Z"}, "started_at"),
    "before the referral": ({"started_at": "2001-01-01T10:00:00Z"}, "started_at"),
    "unknown appointment type": ({"appointment_type": "99"}, "appointment_type"),
    "unknown measure": ({"measures": [{"instrument": "XYZ", "items": [1, 2]}]}, "measures"),
    "wrong item count": ({"measures": [{"instrument": "PHQ9", "items": [1, 2, 3]}]}, "PHQ9"),
    "item out of range": ({"measures": [{"instrument": "GAD7", "items": [9, 0, 0, 0, 0, 0, 0]}]}, "GAD7"),
    "item of the wrong type": ({"measures": [{"instrument": "PHQ9", "items": ["a"] * 9}]}, "measures"),
    "duration of the wrong type": ({"duration_minutes": "half an hour"}, "duration_minutes"),
    "unknown intervention": ({"interventions": ["hypnosis"]}, "interventions"),
    "measures on a missed session": ({"attendance": "3"}, "attendance"),
}


@pytest.mark.parametrize("case", list(SESSION_CASES))
def test_hostile_session_input_is_a_400_on_the_field_and_writes_nothing(world, case):
    changes, field = SESSION_CASES[case]
    client = world.client("own_pwp")
    before = _counts()
    response = client.post("/api/v1/sessions/", _session(world, **changes), format="json")
    assert response.status_code == 400, response.content
    assert field in json.dumps(response.json()), response.json()
    assert _counts() == before


PATIENT_CASES = {
    "NUL in a name": ({"given_name": "Ro\x00bin"}, "given_name"),
    "a 5,000-character name": ({"family_name": "x" * 5000}, "family_name"),
    "an invalid NHS number": ({"nhs_number": "9434765918"}, "nhs_number"),
    "born in the future": ({"date_of_birth": "2999-01-01"}, "date_of_birth"),
    "a date of the wrong type": ({"date_of_birth": 19800101}, "date_of_birth"),
    "an unknown sex code": ({"sex": "Q"}, "sex"),
}


@pytest.mark.parametrize("case", list(PATIENT_CASES))
def test_hostile_patient_input_is_a_400_on_the_field_and_writes_nothing(world, case):
    changes, field = PATIENT_CASES[case]
    before = _counts()
    response = world.client("admin").post("/api/v1/patients/", _patient(**changes), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert _counts() == before


def test_a_10_mb_body_is_a_413_and_writes_nothing(world):
    before = _counts()
    body = json.dumps(_patient(address="x" * (10 * 1024 * 1024)))
    response = world.client("admin").generic("POST", "/api/v1/patients/", body, content_type="application/json")
    assert response.status_code == 413
    assert _counts() == before


def test_a_body_that_is_not_json_is_a_400(world):
    response = world.client("admin").generic("POST", "/api/v1/patients/", b"{not json", content_type="application/json")
    assert response.status_code == 400


def test_a_referral_dated_in_the_future_or_after_its_first_contact_is_refused(world):
    client = world.client("manager")
    url = f"/api/v1/referrals/{world.referral.pk}/"
    version = world.referral.version
    future = client.patch(url, {"received_on": "2999-01-01", "version": version}, format="json")
    assert future.status_code == 400 and "received_on" in future.json()
    after_contact = client.patch(
        url, {"received_on": timezone.localdate().isoformat(), "version": version}, format="json"
    )
    assert after_contact.status_code == 400 and "first recorded contact" in after_contact.json()["received_on"][0]
    world.referral.refresh_from_db()
    assert world.referral.version == version
