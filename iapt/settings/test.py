"""Test settings: real PostgreSQL and real Redis (embedded or from the URLs)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-not-secret-0123456789abcdef0123456789abcdef"
DEMO_ENABLED = True
# Fast hashing in tests only; Argon2 stays first in every other environment.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PSEUDONYMISATION_KEY = env("PSEUDONYMISATION_KEY", default="test-pseudonymisation-key")
# Two-factor is off for the suite; tests/accounts/test_two_factor.py turns it on.
OTP_REQUIRED = False
