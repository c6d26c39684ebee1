"""API tokens: issued per user by a command that prints the secret once,
stored only as a SHA-256 digest, revoked in the admin."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import AccessLog, ApiToken, Role
from tests.factories import UserFactory


@pytest.mark.django_db
def test_the_command_prints_the_secret_once_and_stores_its_digest():
    user = UserFactory(role=Role.PWP)
    out = StringIO()
    call_command("api_token_issue", user.username, "--name", "GP integration", stdout=out, stderr=StringIO())
    secret = out.getvalue().strip()
    token = ApiToken.objects.get(user=user)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in (token.prefix, token.digest, token.name)
    assert len(secret) > 40
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/referrals/").status_code == 200


@pytest.mark.django_db
def test_the_command_refuses_an_unknown_user():
    with pytest.raises(CommandError):
        call_command("api_token_issue", "nobody", "--name", "x", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_the_admin_revokes_tokens(client):
    from accounts.services import api_token_issue

    admin = UserFactory(role=Role.SYSTEM_ADMIN, is_staff=True, is_superuser=True)
    token, secret = api_token_issue(user=UserFactory(), name="to revoke")
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get("/api/v1/referrals/").status_code == 401


@pytest.mark.django_db
def test_the_page_shows_a_new_token_once_and_revokes_it(client):
    user = UserFactory(role=Role.SERVICE_MANAGER)
    client.force_login(user)
    issued = client.post("/account/api-tokens/", {"name": "Analytics"})
    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    secret = issued.context["secret"]
    assert secret and secret in issued.content.decode()
    token = ApiToken.objects.get(user=user)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    # shown once: the next view of the page does not hold it
    assert secret not in client.get("/account/api-tokens/").content.decode()
    # another user cannot revoke it
    other = UserFactory(role=Role.PWP)
    client.force_login(other)
    assert client.post("/account/api-tokens/", {"revoke": token.pk}).status_code == 404
    assert client.post("/account/api-tokens/", {"revoke": "not-a-number"}).status_code == 404
    client.force_login(user)
    client.post("/account/api-tokens/", {"revoke": token.pk})
    token.refresh_from_db()
    assert token.revoked_at is not None


# --- issue 13, finding 9: tokens end with the password, and can expire -----------------


def _works(secret) -> bool:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api.get("/api/v1/referrals/").status_code == 200


@pytest.mark.django_db
def test_a_password_change_revokes_the_users_tokens(client):
    from accounts.services import api_token_issue

    user = UserFactory(role=Role.PWP)
    _, secret = api_token_issue(user=user, name="integration")
    _, colleagues = api_token_issue(user=UserFactory(role=Role.PWP), name="theirs")
    assert _works(secret)
    client.force_login(user)
    change = {
        "old_password": "correct-horse-battery",
        "new_password1": "n3w-pass-phrase!",
        "new_password2": "n3w-pass-phrase!",
    }
    response = client.post("/account/password/", change, REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 302
    assert not _works(secret)
    assert _works(colleagues)
    assert AccessLog.objects.filter(object_type="user", detail__event="password_changed").exists()


@pytest.mark.django_db
def test_deactivation_revokes_the_users_tokens():
    from accounts.services import api_token_issue, user_admin_save

    user = UserFactory(role=Role.PWP)
    token, secret = api_token_issue(user=user, name="integration")
    user.is_active = False
    user_admin_save(actor=UserFactory(role=Role.SYSTEM_ADMIN, service=None), user=user)
    token.refresh_from_db()
    assert token.revoked_at is not None
    # and reactivating does not bring the token back
    user.is_active = True
    user_admin_save(actor=None, user=user)
    assert not _works(secret)


@pytest.mark.django_db
def test_a_password_reset_revokes_the_users_tokens():
    from accounts.services import api_token_issue, user_password_reset

    user = UserFactory(role=Role.PWP)
    _, secret = api_token_issue(user=user, name="integration")
    user_password_reset(actor=UserFactory(role=Role.SYSTEM_ADMIN, service=None), user=user, site_url="https://x")
    assert not _works(secret)


@pytest.mark.django_db
def test_a_token_stops_working_at_its_expiry():
    from datetime import timedelta

    from django.utils import timezone

    from accounts.services import api_token_issue

    user = UserFactory(role=Role.PWP)
    token, secret = api_token_issue(user=user, name="short-lived", expires_at=timezone.now() + timedelta(days=1))
    assert _works(secret) and token.is_active
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    token.refresh_from_db()
    assert not token.is_active and not _works(secret)


@pytest.mark.django_db
def test_an_expiry_in_the_past_is_refused_and_the_page_offers_expiries(client):
    from datetime import timedelta

    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from accounts.services import api_token_issue

    user = UserFactory(role=Role.PWP)
    with pytest.raises(ValidationError):
        api_token_issue(user=user, name="x", expires_at=timezone.now() - timedelta(days=1))
    client.force_login(user)
    client.post("/account/api-tokens/", {"name": "Analytics", "expires_days": "30"})
    token = ApiToken.objects.get(user=user)
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert client.post("/account/api-tokens/", {"name": "Bad", "expires_days": "9999"}).context["error"]
    out = StringIO()
    call_command("api_token_issue", user.username, "--name", "cli", "--days", "7", stdout=out, stderr=StringIO())
    assert ApiToken.objects.get(user=user, name="cli").expires_at is not None
