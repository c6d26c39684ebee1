"""Browser checks of the Content-Security-Policy and of two-factor log in."""

import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import Role
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_main_pages_load_with_no_csp_violation_and_an_inline_script_is_blocked(page, login, csp_violations):
    pwp = UserFactory(username="csp-pwp", role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    supervisor = UserFactory(username="csp-sup", role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    UserFactory(username="csp-manager", role=Role.SERVICE_MANAGER, service=pwp.service)
    pages = {
        "csp-pwp": [
            reverse("sessions:caseload"),
            reverse("sessions:record", args=[referral.pk]),
            reverse("sessions:session_create", args=[referral.pk]),
        ],
        "csp-sup": [reverse("supervision:dashboard"), reverse("supervision:case_review", args=[referral.pk])],
        "csp-manager": [
            reverse("patients:referral_list"),
            reverse("reports:service_report"),
            reverse("stepped_care:waiting_lists"),
            reverse("record_access", args=[referral.patient_id]),
        ],
    }
    for username, urls in pages.items():
        login(username)
        for url in urls:
            page.goto(url)
            page.wait_for_load_state("networkidle")
            assert csp_violations == [], (url, csp_violations)
        page.get_by_role("button", name="Log out").click()
    # the check can fail: an injected inline script is refused and reported
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.injected") is None
    assert any("inline script" in text for text in csp_violations)
    csp_violations.clear()


def test_a_pwp_logs_in_with_a_totp_code_when_two_factor_is_required(page, login, settings):
    settings.OTP_REQUIRED = True
    pwp = UserFactory(username="otp-pwp", role=Role.PWP)
    ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp, patient__family_name="Otpton")
    # first log in: set up the authenticator
    login("otp-pwp")
    expect(page.get_by_role("heading", name="Set up two-factor authentication")).to_be_visible()
    device = TOTPDevice.objects.get(user=pwp, confirmed=False)
    page.get_by_label("Six-digit code from your authenticator app").fill(totp_code(device))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="My caseload")).to_be_visible()
    expect(page.get_by_text("Otpton")).to_be_visible()
    assert TOTPDevice.objects.get(user=pwp).confirmed


def test_typing_in_a_form_tells_the_server_the_user_is_active(page, login):
    pwp = UserFactory(username="typing-pwp", role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    login("typing-pwp")
    page.goto(reverse("sessions:session_create", args=[referral.pk]))
    with page.expect_request(lambda request: request.url.endswith(reverse("alive"))) as ping:
        page.keyboard.press("Tab")
    assert ping.value.response().status == 204


def test_a_manager_reads_staff_changes_and_a_reset_user_sets_their_own_password(page, login):
    # issue 13: the system administrator's change shows on the manager's Staff changes page
    from accounts import services

    manager = UserFactory(username="staff-manager", role=Role.SERVICE_MANAGER)
    pwp = UserFactory(username="staff-pwp", role=Role.PWP, service=manager.service, email="staff-pwp@example.invalid")
    sysadmin = UserFactory(username="staff-sysadmin", role=Role.SYSTEM_ADMIN, service=None, band=None)
    pwp.role = Role.SUPERVISOR
    services.user_admin_save(actor=sysadmin, user=pwp)
    services.user_password_reset(actor=sysadmin, user=pwp, site_url="http://unused.invalid")
    login("staff-manager")
    page.get_by_role("link", name="Staff changes").click()
    expect(page.get_by_role("heading", name="Staff changes")).to_be_visible()
    table = page.locator("#staff-changes")
    expect(table.get_by_text("password_reset")).to_be_visible()
    expect(table.get_by_text("supervisor", exact=False).first).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    # the reset user follows a set-password link (as emailed) and sets a new password in the browser
    link = services.password_set_link(user=pwp, site_url="")
    page.goto(link)
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    page.get_by_label(re.compile(r"New password\*")).fill("a-brand-new-pass-42")
    page.get_by_label("New password confirmation").fill("a-brand-new-pass-42")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("Your password is set")).to_be_visible()
    login("staff-pwp", password="a-brand-new-pass-42")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
