"""No patient identifier in any log line: a handler on the root logger that
collects every record whose message (or traceback) holds an NHS number, that is
a 10-digit number, spaced or not, that passes the modulus-11 check
(patients/nhs_number.py). tests/conftest.py installs it for the whole suite and
fails the test during which such a record was logged."""

from __future__ import annotations

import logging
import re

from patients import nhs_number

# 10 digits not inside a longer run of digits or letters (the hex of a UUID in a
# URL, e.g. ...-9987446191da, is an identifier of a row, not a person), optionally
# spaced 3-3-4 as people write them.
_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])(\d{3}[ -]?\d{3}[ -]?\d{4})(?![0-9A-Za-z])")


# The suite's own tooling, which never runs in production: factory_boy logs the
# test data it builds at DEBUG (synthetic numbers from the 999 range).
TEST_TOOLING_LOGGERS = ("factory", "faker")


def nhs_numbers_in(text: str) -> list[str]:
    return [m for m in _CANDIDATE.findall(text) if nhs_number.is_valid(m)]


class NHSNumberLogHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.offending: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.split(".")[0] in TEST_TOOLING_LOGGERS:
            return
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a badly formatted record is still checked by its parts
            text = f"{record.msg} {record.args}"
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        if record.stack_info:
            text += "\n" + record.stack_info
        found = nhs_numbers_in(text)
        if found:
            self.offending.append(f"{record.name} {record.levelname}: {text[:500]} (NHS numbers: {found})")
