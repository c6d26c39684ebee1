"""The pseudonymisation key's rules, in plain Python (no Django imports), so the
production settings can refuse a bad key before anything starts and the
deploy check can report the same problems (issue 13, finding 10).

A pseudonym is `v<version>-<HMAC-SHA256 hex>`: the version names the key it
was made with, so exports made under different keys are never silently taken
for the same patient (docs/decisions/011-system-administrator-and-staff-changes.md
says how to rotate)."""

from __future__ import annotations

import re

MIN_KEY_LENGTH = 32  # characters: at least 128 bits if drawn from a base64 alphabet
# The placeholder .env.production.example ships, and the development key .env.example
# shows (tests/reports/test_keys.py keeps them equal): both published, both refused.
EXAMPLE_KEY = "change-me-another-long-random-string"  # noqa: S105 - the published placeholder, refused
DEVELOPMENT_KEY = "development-only-pseudonymisation-key"  # noqa: S105 - published in .env.example, refused
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9]{1,8}$")


def key_problems(key: str | None, version: str | None = "1") -> list[str]:
    """What is wrong with a pseudonymisation key and its version label, as
    sentences; an empty list when both are usable in production.

    key: the secret (str, at least MIN_KEY_LENGTH characters, not the example).
    version: a label of 1-8 letters or digits carried by every pseudonym."""
    problems = []
    if not key:
        problems.append("PSEUDONYMISATION_KEY is not set.")
    elif key in (EXAMPLE_KEY, DEVELOPMENT_KEY):
        problems.append("PSEUDONYMISATION_KEY is a published placeholder from an example file; generate a secret one.")
    elif len(key) < MIN_KEY_LENGTH:
        problems.append(f"PSEUDONYMISATION_KEY is shorter than {MIN_KEY_LENGTH} characters.")
    if not VERSION_PATTERN.match(version or ""):
        problems.append("PSEUDONYMISATION_KEY_VERSION must be 1 to 8 letters or digits.")
    return problems
