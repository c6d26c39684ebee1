"""Passwords are hashed with Argon2 everywhere but the test suite (which uses a fast hasher)."""

import pytest
from django.contrib.auth.hashers import check_password, make_password


@pytest.mark.parametrize("module", ["iapt.settings.production", "iapt.settings.local", "iapt.settings.base"])
def test_argon2_is_the_first_hasher_outside_tests(settings_module_value, module):
    assert settings_module_value(module, "PASSWORD_HASHERS[0]") == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_and_checks(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    encoded = make_password("correct-horse-battery")
    assert encoded.startswith("argon2$argon2id$")
    assert check_password("correct-horse-battery", encoded)
    assert not check_password("wrong", encoded)
