"""Which measures the session form shows as due (issue 15, DOMAIN.md "Measures").

PHQ-9, GAD-7 and the problem's anxiety disorder specific measure (ADSM) are due
at every session. WSAS and the phobia scales are due on the schedule the
service sets (*configurable*): by default at the first session that records
them, again every `every` attended sessions when `every` is above 0, and when a
discharge is proposed (the last session). A measure that is not due is still
on the form, one keystroke away; nothing the form recorded before is lost.

Plain data, no Django imports; a service changes it with the setting
MEASURE_SCHEDULE ({"WSAS": {"first": true, "every": 0, "before_discharge": true}}).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SCHEDULE_VERSION = "2026.1"


@dataclass(frozen=True)
class Schedule:
    first: bool = True  # due while the referral has no score of it yet
    every: int = 0  # due again after this many attended sessions without it (0: never)
    before_discharge: bool = True  # due while a discharge is proposed


DEFAULT_SCHEDULE: dict[str, Schedule] = {"WSAS": Schedule(), "PHOBIA": Schedule()}


def schedule_from(overrides: Mapping[str, Mapping] | None) -> dict[str, Schedule]:
    """The default schedule with a service's overrides applied (unknown keys raise TypeError)."""
    schedule = dict(DEFAULT_SCHEDULE)
    for code, values in (overrides or {}).items():
        schedule[code] = Schedule(**values)
    return schedule


def due_instruments(
    offered: Iterable[str],
    *,
    sessions_without: Mapping[str, int | None],
    discharge_proposed: bool,
    schedule: Mapping[str, Schedule] | None = None,
) -> list[str]:
    """The offered instruments (codes, in order) that are due at this session.

    sessions_without: per scheduled code, the number of attended sessions since
    its last score, or None when the referral has none. Codes absent from the
    schedule are due at every session."""
    schedule = DEFAULT_SCHEDULE if schedule is None else schedule
    due = []
    for code in offered:
        rule = schedule.get(code)
        if rule is None:
            due.append(code)
            continue
        since = sessions_without.get(code)
        if (
            (since is None and rule.first)
            or (since is not None and rule.every > 0 and since >= rule.every)
            or (discharge_proposed and rule.before_discharge)
        ):
            due.append(code)
    return due
