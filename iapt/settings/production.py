"""Production settings: every secret from the environment, no defaults; demo off."""

from django.core.exceptions import ImproperlyConfigured

from reports.keys import key_problems

from .base import *  # noqa: F403
from .base import PSEUDONYMISATION_KEY_VERSION, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
PSEUDONYMISATION_KEY = env("PSEUDONYMISATION_KEY")
# A short key, or the placeholder copied from .env.example, would let anyone who
# read the example recompute every pseudonym: refuse to start (issue 13, finding 10).
if _key_problems := key_problems(PSEUDONYMISATION_KEY, PSEUDONYMISATION_KEY_VERSION):
    raise ImproperlyConfigured(" ".join(_key_problems))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
DEMO_ENABLED = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
# Two-factor authentication for every role, always (docs/decisions/005-security.md).
OTP_REQUIRED = True
