"""Test settings: real PostgreSQL and real Redis (embedded or from the URLs)."""

from .base import *  # noqa: F403
from .base import env

DEBUG = False
SECRET_KEY = "test-only-not-secret-0123456789abcdef0123456789abcdef"
DEMO_ENABLED = True
# Fast hashing in tests only; Argon2 stays first in every other environment.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# A worker started by a test may write its mail to files the test can count.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.locmem.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=None)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
PSEUDONYMISATION_KEY = env("PSEUDONYMISATION_KEY", default="test-pseudonymisation-key")
# Two-factor is off for the suite; tests/accounts/test_two_factor.py turns it on.
OTP_REQUIRED = False
