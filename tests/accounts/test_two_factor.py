"""Two-factor authentication (TOTP) with OTP_REQUIRED on, as in production."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from tests.factories import ReferralFactory, UserFactory, totp_code


@pytest.fixture
def otp_on(settings):
    settings.OTP_REQUIRED = True


@pytest.fixture
def pwp_with_patient(db):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    return pwp, referral


@pytest.mark.parametrize("role", [Role.PWP, Role.HIT, Role.SUPERVISOR, Role.SERVICE_MANAGER])
def test_clinical_and_manager_roles_without_a_device_are_sent_to_set_up(client, otp_on, db, role):
    user = UserFactory(role=role)
    client.force_login(user)
    response = client.get(reverse("sessions:caseload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor_setup"))


def test_unverified_pwp_cannot_reach_patient_pages_and_a_real_code_lets_them_through(client, otp_on, pwp_with_patient):
    # given a PWP who logged in with a password only
    pwp, referral = pwp_with_patient
    client.force_login(pwp)
    patient_url = reverse("patients:detail", args=[referral.patient_id])
    record_url = reverse("sessions:record", args=[referral.pk])
    for url in (patient_url, record_url):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_setup"))
        assert "patient" not in response.content.decode().lower()
    # when they enrol an authenticator app and type a wrong code, then the right one
    setup = client.get(reverse("two_factor_setup"), {"next": patient_url})
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.content.decode()
    device = TOTPDevice.objects.get(user=pwp, confirmed=False)
    wrong = client.post(reverse("two_factor_setup"), {"token": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "does not match" in wrong.content.decode()
    assert client.get(patient_url).status_code == 302
    # a wrong code throttles the device: even the right code is refused at once
    throttled = client.post(reverse("two_factor_setup"), {"token": totp_code(device), "next": patient_url})
    assert throttled.status_code == 200
    # ... and accepted once the throttle has passed (a wrong code costs 1 s, then 2, 4...)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
    response = client.post(reverse("two_factor_setup"), {"token": totp_code(device), "next": patient_url})
    # then the device is confirmed and the patient page opens
    assert response.status_code == 302 and response["Location"] == patient_url
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(patient_url).status_code == 200
    assert client.get(record_url).status_code == 200


def test_enrolled_user_is_asked_for_a_code_at_each_log_in(client, otp_on, pwp_with_patient, caplog):
    pwp, referral = pwp_with_patient
    device = TOTPDevice.objects.create(user=pwp, name="phone", confirmed=True)
    client.force_login(pwp)
    patient_url = reverse("patients:detail", args=[referral.patient_id])
    response = client.get(patient_url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("two_factor_verify"))
    assert client.post(reverse("two_factor_verify"), {"token": "12345x"}).status_code == 200
    wrong = "000000" if totp_code(device) != "000000" else "111111"
    assert client.post(reverse("two_factor_verify"), {"token": wrong}).status_code == 200
    assert any(r.name == "accounts.security" and str(pwp.pk) in r.getMessage() for r in caplog.records)
    assert client.get(patient_url).status_code == 302
    # the throttle a wrong code starts has passed
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=timezone.now() - timedelta(seconds=5))
    response = client.post(reverse("two_factor_verify"), {"token": totp_code(device), "next": patient_url})
    assert response.status_code == 302 and response["Location"] == patient_url
    assert client.get(patient_url).status_code == 200


def test_verify_refuses_an_offsite_next(client, otp_on, pwp_with_patient):
    pwp, _ = pwp_with_patient
    device = TOTPDevice.objects.create(user=pwp, name="phone", confirmed=True)
    client.force_login(pwp)
    response = client.post(reverse("two_factor_verify"), {"token": totp_code(device), "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_log_out_and_health_stay_reachable_without_a_code(client, otp_on, pwp_with_patient):
    pwp, _ = pwp_with_patient
    client.force_login(pwp)
    assert client.get(reverse("health")).status_code == 200
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")


def test_with_the_setting_off_a_password_is_enough(client, settings, pwp_with_patient):
    settings.OTP_REQUIRED = False
    pwp, referral = pwp_with_patient
    client.force_login(pwp)
    assert client.get(reverse("patients:detail", args=[referral.patient_id])).status_code == 200


def test_production_requires_two_factor_and_demo_settings_do_not(settings_module_value):
    assert settings_module_value("iapt.settings.production", "OTP_REQUIRED") == "True"
    assert settings_module_value("iapt.settings.local", "OTP_REQUIRED") == "False"


def test_the_api_refuses_a_browser_session_that_has_not_passed_two_factor(client, otp_on, pwp_with_patient):
    # given a PWP who logged in with a password only: the pages send them to set up
    pwp, referral = pwp_with_patient
    client.force_login(pwp)
    # when they call the API with that session, then it is refused and shows nothing
    response = client.get("/api/v1/referrals/")
    assert response.status_code in (401, 403)
    assert str(referral.pk) not in response.content.decode()
    # and once they have given a code, the same session reads the API
    device = TOTPDevice.objects.create(user=pwp, name="phone", confirmed=True)
    verified = client.post(reverse("two_factor_verify"), {"token": totp_code(device)})
    assert verified.status_code == 302
    response = client.get("/api/v1/referrals/")
    assert response.status_code == 200 and str(referral.pk) in response.content.decode()
