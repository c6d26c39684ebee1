"""API authentication: `Authorization: Bearer <token>` for integrations, and the
browser session once two-factor authentication is passed."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiToken
from .services import api_token_digest

LAST_USED_RESOLUTION = timedelta(minutes=5)  # one write every few minutes, not one per request


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the header as: Authorization: Bearer <token>.")
        secret = header[1].decode(errors="replace")
        try:
            token = ApiToken.objects.select_related("user").get(digest=api_token_digest(secret))
        except ApiToken.DoesNotExist as exc:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.") from exc
        now = timezone.now()
        if token.revoked_at is not None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Unknown or revoked token.")
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("The token has expired.")
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class VerifiedSessionAuthentication(authentication.SessionAuthentication):
    """The browser session (with CSRF), once the user has passed two-factor
    authentication where it is required. The pages' OTPRequiredMiddleware leaves
    API views alone (DRF authenticates them itself), so without this a password
    alone would open the API to a session that never gave its code."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if settings.OTP_REQUIRED and not getattr(user, "is_verified", lambda: False)():
            raise exceptions.NotAuthenticated("Complete two-factor authentication to use the API from the browser.")
        return result


class VerifiedSessionScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.VerifiedSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.api.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A per-user token from `manage.py api_token_issue`; revoke it in the admin.",
        }
