"""Development settings: make run. Debug on, demo data allowed."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="local-development-only-not-secret-0123456789abcdef")
DEMO_ENABLED = env.bool("DEMO_ENABLED", default=True)
# The demo logs in with a password only; production always asks for a TOTP code.
OTP_REQUIRED = env.bool("OTP_REQUIRED", default=False)
