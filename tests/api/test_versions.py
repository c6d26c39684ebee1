"""Versioned updates over the API: the ETag / If-Match or the version field;
a stale one answers 409 and changes nothing (the check itself is the
services', shared with the web forms: tests/patients/test_versions.py)."""

from patients.models import Patient, Referral


def test_a_stale_if_match_answers_409_and_changes_nothing(world):
    url = f"/api/v1/patients/{world.referral.patient_id}/"
    alice, bob = world.client("manager"), world.client("admin")
    etag = alice.get(url)["ETag"]
    assert bob.get(url)["ETag"] == etag

    first = alice.patch(url, {"phone": "01632 960111"}, format="json", HTTP_IF_MATCH=etag)
    second = bob.patch(url, {"phone": "01632 960222", "email": "bob@example.org"}, format="json", HTTP_IF_MATCH=etag)

    assert first.status_code == 200
    assert second.status_code == 409
    assert "Someone else saved" in second.json()["detail"]
    patient = Patient.objects.get(pk=world.referral.patient_id)
    assert patient.phone == "01632 960111" and patient.email == ""  # the first save whole, nothing of the second
    assert first["ETag"] == f'"{patient.version}"'


def test_a_stale_version_field_answers_409(world):
    url = f"/api/v1/referrals/{world.referral.pk}/"
    client = world.client("own_pwp")
    version = client.get(url).json()["version"]
    assert client.patch(url, {"notes": "first", "version": version}, format="json").status_code == 200
    stale = client.patch(url, {"notes": "second", "version": version}, format="json")
    assert stale.status_code == 409
    assert Referral.objects.get(pk=world.referral.pk).reason_notes == "first"


def test_a_patch_without_a_version_is_refused(world):
    response = world.client("manager").patch(
        f"/api/v1/patients/{world.referral.patient_id}/", {"phone": "01632 960333"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()
