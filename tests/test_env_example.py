"""Issue 15, item 8: `.env.example` copied to `.env` runs `make run` as it is
(the demo on, a password-only log-in, plain http on 127.0.0.1, the embedded
servers), and `.env.production.example` carries the production values; between
them they list every variable the settings read."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse(name: str) -> tuple[dict[str, str], set[str]]:
    """(the variables set, every variable named, commented out or not)."""
    values, named = {}, set()
    for line in (ROOT / name).read_text().splitlines():
        match = re.match(r"^#?\s*([A-Z][A-Z0-9_]+)=(.*)$", line.strip())
        if not match:
            continue
        named.add(match.group(1))
        if not line.startswith("#"):
            values[match.group(1)] = match.group(2)
    return values, named


def settings_with(values: dict[str, str]) -> dict:
    """The local settings as Django loads them with these variables in the environment."""
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({k: getattr(s, k) for k in "
        "('DEMO_ENABLED', 'OTP_REQUIRED', 'DEBUG', 'SECURE_SSL_REDIRECT', 'SESSION_COOKIE_SECURE', 'ALLOWED_HOSTS')}))"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")} | values
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_development_example_runs_the_demo_as_it_is():
    values, _ = parse(".env.example")
    assert "DATABASE_URL" not in values and "REDIS_URL" not in values  # the embedded servers
    assert "EMAIL_BACKEND" not in values  # the tests keep their in-memory mail
    loaded = settings_with(values)
    assert loaded["DEMO_ENABLED"] is True and loaded["OTP_REQUIRED"] is False
    assert loaded["SECURE_SSL_REDIRECT"] is False and loaded["SESSION_COOKIE_SECURE"] is False
    assert "127.0.0.1" in loaded["ALLOWED_HOSTS"]


def test_the_production_example_is_production():
    values, _ = parse(".env.production.example")
    assert values["DJANGO_SETTINGS_MODULE"] == "iapt.settings.production"
    assert values["DEMO_ENABLED"] == "false" and values["OTP_REQUIRED"] == "true"
    assert "change-me" in values["DJANGO_SECRET_KEY"]


def test_every_variable_the_settings_read_is_in_an_example():
    read = set()
    for path in (ROOT / "iapt" / "settings").glob("*.py"):
        read |= set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', path.read_text()))
    named = parse(".env.example")[1] | parse(".env.production.example")[1]
    assert read - named == set()
