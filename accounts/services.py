"""Writes of accounts: API tokens (issued per user, stored hashed, shown once)."""

from __future__ import annotations

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .models import ApiToken, User

TOKEN_PREFIX = "iapt_"  # noqa: S105 - a visible marker, not a secret


def api_token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_token_issue(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for `user`; returns the row and the secret, which is never
    stored and cannot be shown again. The token acts as the user: the same
    access policy, the same audit."""
    if not user.is_active:
        raise ValidationError("Tokens are issued only to active users.")
    if not name.strip():
        raise ValidationError({"name": "Say what the token is for."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100], prefix=secret[: len(TOKEN_PREFIX) + 6], digest=api_token_digest(secret)
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token
