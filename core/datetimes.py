"""One parser of date-times for the web forms and the API (issue 14 item 6).

A wall-clock time in the service's zone (settings.TIME_ZONE, Europe/London) may
not exist (the hour skipped when the clocks go forward) or happen twice (the
hour repeated when they go back). Both are refused with a message that says so,
never silently moved or guessed. The web form's datetime-local input has no
offset, so a valid local time is read in the service's zone; the API must send
an offset (ISO 8601, e.g. 2026-10-25T01:30:00+01:00), which makes every
instant exact."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_datetime

FORMAT_HINT = "Enter a date and time such as 2026-03-29T14:30:00+01:00."


class DateTimeInputError(ValueError):
    """A date-time the record cannot take; str() is the message for the person."""


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_time_problem(value: datetime) -> str | None:
    """For a wall-clock time with no offset: why it is not one instant in the
    service's zone (skipped or repeated by a clock change), or None."""
    zone = _zone()
    first, second = value.replace(tzinfo=zone, fold=0), value.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return None
    shown = f"{value:%d/%m/%Y %H:%M}"
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
        return (
            f"{shown} does not exist in UK time: the clocks went forward an hour that night. "
            "Check the time (an hour later, or with its UTC offset)."
        )
    return (
        f"{shown} happens twice in UK time: the clocks went back an hour that night. "
        "Give the UTC offset: +01:00 for the first (BST), +00:00 for the second (GMT)."
    )


def parse(text: str | datetime, *, require_offset: bool) -> datetime:
    """An aware datetime from ISO 8601 text (or a datetime).

    With an offset: that instant. Without: refused when the wall-clock time does
    not exist or is ambiguous in the service's zone; otherwise refused when
    `require_offset` (the API), else read in the service's zone (the web form).
    Raises DateTimeInputError with the person's message."""
    if isinstance(text, datetime):
        value = text
    else:
        try:
            value = parse_datetime(str(text).strip())
        except ValueError:  # well-formed but impossible, e.g. 31 February
            raise DateTimeInputError(f"This date or time does not exist. {FORMAT_HINT}") from None
        if value is None:
            raise DateTimeInputError(FORMAT_HINT)
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value
    if problem := local_time_problem(value):
        raise DateTimeInputError(problem)
    if require_offset:
        raise DateTimeInputError(
            "Give the date and time with its UTC offset, e.g. 2026-06-01T14:30:00+01:00 "
            "(or Z for UTC): a time with no offset is ambiguous."
        )
    return value.replace(tzinfo=_zone())
