"""The pseudonymisation key cannot be the example or short, and every pseudonym
names its key's version (issue 13, finding 10)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from reports import exports, keys

ROOT = Path(__file__).resolve().parent.parent.parent
GOOD_KEY = "k" * 20 + "-a-production-pseudonymisation-key"


def _env(module: str, key: str, **extra) -> dict:
    return {
        **{k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "OTP_REQUIRED")},
        "DJANGO_SETTINGS_MODULE": module,
        "DJANGO_SECRET_KEY": "x" * 20 + "production-like-secret-key-value-0123456789-abcdefghijk",
        "DJANGO_ALLOWED_HOSTS": "iapt.example.nhs.uk",
        "PSEUDONYMISATION_KEY": key,
        **extra,
    }


def test_the_refused_example_is_the_one_the_production_example_ships():
    # Production values live in .env.production.example (issue 15); the development
    # example's key is only a comment, and too short for production as well.
    lines = (ROOT / ".env.production.example").read_text().splitlines()
    assert f"PSEUDONYMISATION_KEY={keys.EXAMPLE_KEY}" in lines
    development = [
        line.split("=", 1)[1]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line.lstrip("# ").startswith("PSEUDONYMISATION_KEY=")
    ]
    assert development and all(keys.key_problems(key, "1") for key in development)


@pytest.mark.parametrize(
    ("key", "version", "problem"),
    [
        (keys.EXAMPLE_KEY, "1", "placeholder"),
        ("short-key", "1", "shorter than 32"),
        ("", "1", "not set"),
        (GOOD_KEY, "", "1 to 8 letters or digits"),
        (GOOD_KEY, "v 2", "1 to 8 letters or digits"),
    ],
)
def test_key_problems(key, version, problem):
    assert any(problem in p for p in keys.key_problems(key, version))


def test_a_long_random_key_has_no_problem():
    assert keys.key_problems(GOOD_KEY, "2026a") == []


@pytest.mark.parametrize("key", [keys.EXAMPLE_KEY, "too-short-a-key"])
def test_production_refuses_to_start_with_the_example_or_a_short_key(key):
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=_env("iapt.settings.production", key),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "PSEUDONYMISATION_KEY" in result.stderr and "ImproperlyConfigured" in result.stderr


def test_check_deploy_reports_the_example_key():
    # local settings start with any key, so the deploy check is what speaks
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=_env("iapt.settings.local", keys.EXAMPLE_KEY),
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "reports.E001" in result.stderr and "placeholder" in result.stderr


def test_every_pseudonym_carries_its_key_version(settings):
    settings.PSEUDONYMISATION_KEY = GOOD_KEY
    settings.PSEUDONYMISATION_KEY_VERSION = "1"
    before = exports.pseudonymise("9434765919")
    settings.PSEUDONYMISATION_KEY = GOOD_KEY + "-rotated"
    settings.PSEUDONYMISATION_KEY_VERSION = "2"
    after = exports.pseudonymise("9434765919")
    assert before.startswith("v1-") and after.startswith("v2-")
    assert before[3:] != after[3:]
    # the pseudonym records say which key made them, even from the export's cells
    cells = exports.record_cells(
        {"referral_id": 7, "nhs_number": "9434765919", "date_of_birth": None} | dict.fromkeys(exports.SHARED_KEYS),
        identifiable=False,
    )
    assert cells[0].startswith("v2-") and cells[1] == after
