"""API tokens: issued per user by a command that prints the secret once,
stored only as a SHA-256 digest, revoked in the admin."""

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.models import ApiToken, Role
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
