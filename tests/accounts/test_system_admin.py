"""The system administrator administers and never reaches a record (issue 13,
findings 1 and 11): not a superuser; users, services, teams, supervision
assignments and tokens only; nobody widens their own access; TOTP secrets never
shown; password and second-factor resets are audited actions that tell the
user; every staff change audited with before and after values, and shown on
the service manager's staff changes page."""

import re
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import services
from accounts.models import AccessLog, ApiToken, Role, SupervisionAssignment
from outbox.models import OutboxMessage
from reports.models import ExportJob
from tests.factories import ReferralFactory, ServiceFactory, SupervisionAssignmentFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin():
    return UserFactory(role=Role.SYSTEM_ADMIN, band=None, service=None, is_staff=True, username="sysadmin")


@pytest.fixture
def superuser():
    return UserFactory(role=Role.SYSTEM_ADMIN, band=None, service=None, is_staff=True, is_superuser=True)


def form_data(client, url) -> dict:
    """The admin change form's current values, as a browser would post them back."""
    response = client.get(url)
    assert response.status_code == 200, url
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value.isoformat() if isinstance(value, date) else getattr(value, "pk", value)
    return data


def user_url(user) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


# --- finding 1: not a superuser, and nothing clinical --------------------------------


def test_the_demo_system_administrator_is_not_a_superuser(client, settings):
    from iapt.demo import load_demo

    load_demo(patients=3)
    sysadmin = get_user_model().objects.get(username="sysadmin")
    assert sysadmin.role == Role.SYSTEM_ADMIN and sysadmin.is_staff and not sysadmin.is_superuser
    # and `make run`'s sysadmin still logs in and lands on the admin site, with the users in it
    response = client.post("/login/", {"username": "sysadmin", "password": settings.DEMO_PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/admin/" and response.status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_the_system_administrator_cannot_make_themselves_a_manager(client, sysadmin):
    # given a service with patients
    referral = ReferralFactory()
    client.force_login(sysadmin)
    # when they post their own user with role=manager, service=that service, active and superuser
    data = form_data(client, user_url(sysadmin))
    data.update(role=Role.SERVICE_MANAGER, service=referral.service.pk, is_superuser="on")
    response = client.post(user_url(sysadmin), data)
    # then nothing of their access changed, and no patient opens to them
    assert response.status_code in (200, 302)
    sysadmin.refresh_from_db()
    assert sysadmin.role == Role.SYSTEM_ADMIN and sysadmin.service is None and not sysadmin.is_superuser
    assert client.get(f"/patients/{referral.patient_id}/").status_code == 404
    api = APIClient()
    api.force_authenticate(sysadmin)
    assert api.get("/api/v1/patients/").json().get("count", 0) == 0


@pytest.mark.parametrize("field", ["role", "service", "team", "is_active", "is_superuser"])
def test_nobody_changes_their_own_access_even_through_the_service(field):
    service = ServiceFactory()
    manager = UserFactory(role=Role.SERVICE_MANAGER, service=service)
    changed = {
        "role": Role.SUPERVISOR,
        "service": ServiceFactory(),
        "team": TeamFactory(service=service),
        "is_active": False,
        "is_superuser": True,
    }[field]
    setattr(manager, field, changed)
    with pytest.raises(ValidationError, match="your own"):
        services.user_admin_save(actor=manager, user=manager)
    manager.refresh_from_db()
    assert manager.role == Role.SERVICE_MANAGER and manager.is_active and not manager.is_superuser


def test_the_system_administrator_sees_accounts_only(client, sysadmin):
    client.force_login(sysadmin)
    index = client.get("/admin/")
    assert index.status_code == 200
    models = {m["object_name"] for app in index.context["app_list"] for m in app["models"]}
    # and the service's appointment configuration and its duty worker (reference data, nothing clinical)
    assert models == {
        "DutyWorker",
        "User",
        "Service",
        "Team",
        "SupervisionAssignment",
        "ApiToken",
        "WorkingHours",
        "ClinicTemplate",
        "ReminderLeadTime",
    }
    for url in (
        "/admin/reports/exportjob/",
        "/admin/outbox/outboxmessage/",
        "/admin/accounts/accesslog/",
        "/admin/otp_totp/totpdevice/",
        "/admin/axes/accessattempt/",
        "/admin/auth/group/",
    ):
        assert client.get(url).status_code == 403, url


def test_nobody_sets_another_users_password_in_the_admin(client, superuser):
    pwp = UserFactory()
    client.force_login(superuser)
    response = client.post(
        f"/admin/accounts/user/{pwp.pk}/password/", {"password1": "a-new-password-1", "password2": "a-new-password-1"}
    )
    assert response.status_code == 403
    pwp.refresh_from_db()
    assert pwp.check_password("correct-horse-battery")


def test_totp_secrets_are_never_shown_even_to_a_superuser(client, superuser):
    device = TOTPDevice.objects.create(user=UserFactory(), name="phone", confirmed=True)
    client.force_login(superuser)
    change = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/")
    assert change.status_code == 200 and device.key not in change.content.decode()
    assert "qrcode" not in client.get("/admin/otp_totp/totpdevice/").content.decode()
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403


# --- resets: explicit, audited, the user told ---------------------------------------


def test_a_password_reset_ends_the_old_password_sessions_and_tokens_and_emails_a_link(
    client, sysadmin, django_capture_on_commit_callbacks
):
    pwp = UserFactory(email="pwp@example.invalid")
    _, secret = services.api_token_issue(user=pwp, name="integration")
    other = client.__class__()
    other.force_login(pwp)
    client.force_login(sysadmin)
    # when the system administrator resets the password
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/", {"action": "reset_password", "_selected_action": [pwp.pk]}, follow=True
        )
    assert response.status_code == 200
    # then the old password, the session and the token stop working
    pwp.refresh_from_db()
    assert not pwp.has_usable_password()
    assert other.get("/account/api-tokens/").status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/referrals/").status_code == 401
    # and the reset is audited under the administrator's name
    entry = AccessLog.objects.get(object_type="user", detail__event="password_reset")
    assert entry.username == "sysadmin" and entry.object_id == str(pwp.pk)
    # and the user is told, with a one-use link the administrator never sees on screen
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["pwp@example.invalid"]
    link = re.search(r"http://testserver(/account/password/set/\S+)", mail.outbox[0].body).group(1)
    assert link not in response.content.decode()
    # when the user follows it, they set a new password and can log in with it
    visitor = client.__class__()
    form = visitor.get(link, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = visitor.post(
        form.redirect_chain[-1][0], {"new_password1": "a-brand-new-pass-42", "new_password2": "a-brand-new-pass-42"}
    )
    assert done.status_code == 302
    pwp.refresh_from_db()
    assert pwp.check_password("a-brand-new-pass-42")
    # and the link works once
    assert not visitor.get(link, follow=True).context["validlink"]


def test_a_second_factor_reset_removes_the_authenticator_and_forces_enrolment(
    client, sysadmin, settings, django_capture_on_commit_callbacks
):
    pwp = UserFactory(email="pwp@example.invalid")
    TOTPDevice.objects.create(user=pwp, name="lost phone", confirmed=True)
    client.force_login(sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/", {"action": "reset_second_factor", "_selected_action": [pwp.pk]}, follow=True
        )
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=pwp).exists()
    entry = AccessLog.objects.get(object_type="user", detail__event="second_factor_reset")
    assert entry.username == "sysadmin" and entry.detail["changes"]["authenticators_removed"]["after"] == 1
    assert len(mail.outbox) == 1 and "two-factor" in mail.outbox[0].subject
    # at the next log-in the user enrols a new authenticator
    settings.OTP_REQUIRED = True
    visitor = client.__class__()
    logged_in = visitor.post("/login/", {"username": pwp.username, "password": "correct-horse-battery"}, follow=True)
    assert logged_in.redirect_chain[-1][0].startswith("/account/two-factor/setup/")


# --- every staff change audited, before and after -----------------------------------


def test_every_change_to_a_user_is_audited_with_before_and_after(client, sysadmin):
    service = ServiceFactory()
    north, south = TeamFactory(service=service), TeamFactory(service=service)
    pwp = UserFactory(service=service, team=north)
    _, secret = services.api_token_issue(user=pwp, name="integration")
    client.force_login(sysadmin)
    data = form_data(client, user_url(pwp))
    data.update(role=Role.SUPERVISOR, team=south.pk)
    data.pop("is_active", None)  # deactivated
    assert client.post(user_url(pwp), data).status_code == 302
    entry = AccessLog.objects.get(object_type="user", detail__event="changed")
    assert entry.username == "sysadmin" and entry.action == "update"
    changes = entry.detail["changes"]
    assert changes["role"] == {"before": Role.PWP, "after": Role.SUPERVISOR}
    assert changes["team"] == {"before": str(north), "after": str(south)}
    assert changes["is_active"] == {"before": True, "after": False}
    assert entry.detail["service_ids"] == [service.pk]
    # deactivation revoked the user's tokens at once
    assert ApiToken.objects.get(user=pwp).revoked_at is not None


def test_a_supervision_assignment_change_is_audited(client, sysadmin):
    assignment = SupervisionAssignmentFactory()
    client.force_login(sysadmin)
    url = f"/admin/accounts/supervisionassignment/{assignment.pk}/change/"
    data = form_data(client, url)
    data["ended"] = date.today().isoformat()
    assert client.post(url, data).status_code == 302
    entry = AccessLog.objects.get(object_type="supervision_assignment")
    assert entry.detail["changes"] == {"ended": {"before": None, "after": date.today().isoformat()}}
    assert assignment.supervisee.service_id in entry.detail["service_ids"]
    # an assignment is ended, never deleted
    assert (
        client.post(f"/admin/accounts/supervisionassignment/{assignment.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert SupervisionAssignment.objects.filter(pk=assignment.pk).exists()


def test_a_new_account_gets_no_typed_password_and_is_emailed_a_link(
    client, sysadmin, django_capture_on_commit_callbacks
):
    service = ServiceFactory()
    client.force_login(sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/accounts/user/add/",
            {"username": "newpwp", "email": "new@example.invalid", "role": Role.PWP, "band": 5, "service": service.pk},
        )
    assert response.status_code == 302
    user = get_user_model().objects.get(username="newpwp")
    assert not user.has_usable_password() and not user.is_staff
    entry = AccessLog.objects.get(object_type="user", detail__event="created")
    assert entry.detail["changes"]["role"]["after"] == Role.PWP and entry.detail["service_ids"] == [service.pk]
    assert mail.outbox[0].to == ["new@example.invalid"] and "/account/password/set/" in mail.outbox[0].body


# --- the staff changes page ----------------------------------------------------------


def test_a_service_manager_sees_their_services_staff_changes_only(client, django_assert_max_num_queries):
    service, elsewhere = ServiceFactory(), ServiceFactory()
    manager = UserFactory(role=Role.SERVICE_MANAGER, service=service)
    ours, theirs = UserFactory(service=service, username="ours"), UserFactory(service=elsewhere, username="theirs")
    for user in (ours, theirs):
        user.role = Role.SUPERVISOR
        services.user_admin_save(actor=None, user=user)
    client.force_login(manager)
    # the budget: session, user, count, page of entries (no query per entry), whatever the number of entries
    with django_assert_max_num_queries(6):
        page = client.get("/staff-changes/")
    assert page.status_code == 200
    subjects = [entry.detail["subject"] for entry in page.context["page"]]
    assert subjects == ["ours"]
    assert "supervisor" in page.content.decode()
    for extra in range(5):
        user = UserFactory(service=service, username=f"more{extra}")
        user.is_active = False
        services.user_admin_save(actor=None, user=user)
    with django_assert_max_num_queries(6):
        assert len(client.get("/staff-changes/").context["page"]) == 6


@pytest.mark.parametrize("role", [Role.PWP, Role.SUPERVISOR, Role.REFERRAL_ADMIN])
def test_other_roles_get_404_for_staff_changes(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/staff-changes/").status_code == 404


# --- the first system administrator ----------------------------------------------------


def test_the_command_creates_an_audited_system_administrator_who_is_not_a_superuser(monkeypatch):
    monkeypatch.setenv("SYSTEM_ADMIN_PASSWORD", "a-long-enough-password-2026")
    call_command("create_system_admin", "alice", "--email", "alice@example.invalid", "--no-input", stdout=StringIO())
    alice = get_user_model().objects.get(username="alice")
    assert alice.role == Role.SYSTEM_ADMIN and alice.is_staff and not alice.is_superuser
    assert alice.check_password("a-long-enough-password-2026")
    entry = AccessLog.objects.get(object_type="user", object_id=str(alice.pk))
    assert entry.username == "system" and entry.detail["event"] == "created_by_command"


def test_the_command_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("SYSTEM_ADMIN_PASSWORD", "password")
    with pytest.raises(CommandError):
        call_command("create_system_admin", "bob", "--email", "bob@example.invalid", "--no-input", stdout=StringIO())
    assert not get_user_model().objects.filter(username="bob").exists()


# --- finding 11: export jobs and the outbox ---------------------------------------------


def test_nobody_deletes_export_jobs_or_adds_or_deletes_outbox_messages(client, superuser):
    job = ExportJob.objects.create(
        requested_by=UserFactory(role=Role.SERVICE_MANAGER),
        filters={},
        format="csv",
        identifiable=True,
        reason="audit",
    )
    message = OutboxMessage.objects.create(task="supervision.flag_cases", args=[])
    client.force_login(superuser)
    assert client.post(f"/admin/reports/exportjob/{job.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.post(
        "/admin/reports/exportjob/", {"action": "delete_selected", "_selected_action": [job.pk]}
    ).status_code in (200, 302)
    assert ExportJob.objects.filter(pk=job.pk).exists()
    assert client.get("/admin/outbox/outboxmessage/add/").status_code == 403
    assert client.post(f"/admin/outbox/outboxmessage/{message.pk}/delete/", {"post": "yes"}).status_code == 403
    assert OutboxMessage.objects.filter(pk=message.pk).exists()


# --- the user is told, through a real SMTP server ---------------------------------------


def test_both_resets_reach_the_user_through_a_real_smtp_server(
    client, sysadmin, smtp_server, django_capture_on_commit_callbacks
):
    pwp = UserFactory(email="pwp@example.invalid")
    TOTPDevice.objects.create(user=pwp, name="phone", confirmed=True)
    client.force_login(sysadmin)
    with django_capture_on_commit_callbacks(execute=True):
        for action in ("reset_password", "reset_second_factor"):
            client.post("/admin/accounts/user/", {"action": action, "_selected_action": [pwp.pk]})
    assert [e.rcpt_tos for e in smtp_server.envelopes] == [["pwp@example.invalid"], ["pwp@example.invalid"]]
    password_mail, second_factor_mail = (e.content.decode() for e in smtp_server.envelopes)
    assert "Subject: Your Talking Therapies password was reset" in password_mail
    assert "/account/password/set/" in password_mail
    assert "two-factor authentication was reset" in second_factor_mail
    assert "/account/password/set/" not in second_factor_mail


@pytest.mark.django_db(transaction=True)
def test_the_migration_demotes_an_existing_superuser_system_administrator():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    # given an installation from before, whose system administrator is a superuser
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0005_token_expiry_and_client_request_id")])
    old_apps = executor.loader.project_state([("accounts", "0005_token_expiry_and_client_request_id")]).apps
    OldUser = old_apps.get_model("accounts", "User")  # noqa: N806 - a model class
    OldUser.objects.create(username="oldadmin", role="system_admin", is_superuser=True, is_staff=True, password="!")
    OldUser.objects.create(username="breakglass", role="pwp", is_superuser=True, is_staff=True, password="!")
    # when it migrates
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    # then the system administrator is no superuser any more, audited; another superuser is left alone
    users = get_user_model().objects
    assert not users.get(username="oldadmin").is_superuser and users.get(username="oldadmin").is_staff
    assert users.get(username="breakglass").is_superuser
    entry = AccessLog.objects.get(object_type="user", detail__event="demoted_by_migration")
    assert entry.detail["subject"] == "oldadmin"
