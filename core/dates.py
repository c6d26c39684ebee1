"""The dates the system supports, one bound for every form and the API
(issue 13 finding 12): a date outside it is a field error, never a 500 from
date arithmetic past year 1 or 9999.

- SUPPORTED: any date typed into a record (dates of birth from 1900, plans up
  to 2100).
- REPORT: a report or export period (the web report form, the export form and
  /api/v1/reports/ and /api/v1/exports/ alike): 2000 to 2100, before which no
  Talking Therapies data exists.
"""

from __future__ import annotations

from datetime import date

SUPPORTED = (date(1900, 1, 1), date(2100, 12, 31))
REPORT = (date(2000, 1, 1), date(2100, 12, 31))


def bound_error(value: date, bound: tuple[date, date] = SUPPORTED) -> str | None:
    """The field message for a date outside `bound` (inclusive), else None."""
    first, last = bound
    if first <= value <= last:
        return None
    return f"Give a date from {first:%d/%m/%Y} to {last:%d/%m/%Y}."
