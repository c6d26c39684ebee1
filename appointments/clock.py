"""Europe/London wall-clock times to instants, refusing the times a clock change
skips or repeats. Plain Python (zoneinfo), no Django, so it is tested exhaustively.

Rule (issue 18, DOMAIN.md "Appointments and messages"): bookings are typed as
Europe/London wall-clock times and stored as instants; a wall-clock time that
does not exist (the hour skipped when clocks go forward, last Sunday of March,
01:00-01:59) or exists twice (the hour repeated when clocks go back, last Sunday
of October, 01:00-01:59) is refused rather than guessed."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class WallClockError(ValueError):
    """The wall-clock time is skipped or repeated by a clock change. `kind` is
    "skipped" or "repeated"."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind


def london_instant(day: date, at: time) -> datetime:
    """The instant (an aware datetime in UTC) of `day` at wall-clock `at` in
    Europe/London. Raises WallClockError when a clock change skips that time (it
    never happens on that day) or repeats it (it happens twice)."""
    naive = datetime.combine(day, at.replace(tzinfo=None, fold=0))
    first = naive.replace(tzinfo=LONDON, fold=0)
    second = naive.replace(tzinfo=LONDON, fold=1)
    if first.utcoffset() != second.utcoffset():
        # Either skipped or repeated: a skipped time does not survive a round trip.
        round_trip = first.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None)
        if round_trip != naive:
            raise WallClockError(
                f"{at:%H:%M} on {day:%d/%m/%Y} does not exist in the UK: the clocks go forward an hour then. "
                "Choose another time.",
                kind="skipped",
            )
        raise WallClockError(
            f"{at:%H:%M} on {day:%d/%m/%Y} happens twice in the UK: the clocks go back an hour then. "
            "Choose another time.",
            kind="repeated",
        )
    return first.astimezone(UTC)


def london_wall_clock(instant: datetime) -> datetime:
    """The Europe/London local time of an aware instant."""
    return instant.astimezone(LONDON)
