"""The suite-wide guard against NHS numbers in log lines (tests/conftest.py)."""

import logging

import pytest

from tests.logging_guard import NHSNumberLogHandler, nhs_numbers_in


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("patient 9434765919 saved", ["9434765919"]),
        ("patient 943 476 5919 saved", ["943 476 5919"]),
        ("patient 943-476-5919 saved", ["943-476-5919"]),
        ("Key (nhs_number)=(9434765919) already exists.", ["9434765919"]),
        ("bad check digit 9434765918", []),
        ("eleven digits 94347659190", []),
        ("timestamp 1764057601.123", []),  # fails the modulus-11 check
        ("all the same 1111111111", []),
        ("uuid 5f0c2d9e-0000-4000-8000-000000000000", []),
        # Valid by the check digit, but hex digits of a UUID in a URL (seen in a CI run).
        ("Bad Request: /api/v1/patients/c0c6ed14-a3cf-41a9-8185-9987446191da/", []),
        ("(nhs_number)=(9434765919)", ["9434765919"]),
    ],
)
def test_finds_valid_nhs_numbers_only(text, found):
    assert nhs_numbers_in(text) == found


def test_the_guard_is_on_the_root_logger_and_catches_records_and_tracebacks(nhs_number_log_guard):
    assert nhs_number_log_guard in logging.getLogger().handlers
    assert logging.getLogger().isEnabledFor(logging.DEBUG)
    logging.getLogger("some.module").debug("looked up %s", "9434765919")
    try:
        raise ValueError("duplicate 943 476 5919")
    except ValueError:
        logging.getLogger("other").exception("failed")
    logging.getLogger("some.module").info("referral 42 saved")
    logging.getLogger("factory.generate").debug("built nhs_number='9434765919'")  # test tooling only
    caught = list(nhs_number_log_guard.offending)
    nhs_number_log_guard.offending.clear()  # so that this test itself passes
    assert len(caught) == 2
    assert "some.module DEBUG" in caught[0] and "other ERROR" in caught[1]


def test_a_handler_of_its_own_records_nothing_for_clean_lines():
    handler = NHSNumberLogHandler()
    logger = logging.getLogger("clean")
    logger.addHandler(handler)
    try:
        logger.warning("patient %s viewed", "5f0c2d9e-aaaa-4000-8000-123456789012")
    finally:
        logger.removeHandler(handler)
    assert handler.offending == []
