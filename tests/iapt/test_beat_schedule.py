"""Issue 14 item 7: beat's schedule, stepped through both clock changes of a
year as beat itself steps (ask the schedule whether it is due, sleep as long as
it says, at most beat's 5 minutes): every job runs at the same real-time
spacing across the change, none skipped and none doubled."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from celery.schedules import maybe_schedule
from django.conf import settings

from iapt.celery import app

# The nights the clocks change in 2026 (last Sundays of March and October, 01:00 UTC).
CHANGES = [datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]
MAX_SLEEP = 300  # celery beat's default beat_max_loop_interval


def beat_runs(entry_schedule, start: datetime, end: datetime) -> list[datetime]:
    schedule = copy.copy(maybe_schedule(entry_schedule, app=app))
    schedule.app = app
    for cached in ("tz", "utc_enabled"):
        schedule.__dict__.pop(cached, None)
    clock = {"now": start}
    schedule.nowfun = lambda: clock["now"].astimezone(schedule.tz)
    last_run_at = schedule.now()
    runs = []
    while clock["now"] < end:
        due, next_in = schedule.is_due(last_run_at)
        if due:
            runs.append(clock["now"])
            last_run_at = schedule.now()
            due, next_in = schedule.is_due(last_run_at)
        clock["now"] += timedelta(seconds=max(1.0, min(next_in, MAX_SLEEP)))
    return runs


@pytest.mark.parametrize("change", CHANGES, ids=["spring", "autumn"])
@pytest.mark.parametrize("name", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_periodic_job_keeps_its_real_time_spacing_across_a_clock_change(name, change):
    entry = settings.CELERY_BEAT_SCHEDULE[name]
    runs = beat_runs(entry["schedule"], change - timedelta(days=2), change + timedelta(days=2))
    assert len(runs) >= 3, name
    gaps = [(b - a).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]
    period = gaps[0]
    # every gap the same real time (to the second beat's step may add): no hour skipped, none doubled
    assert all(abs(gap - period) <= 1 for gap in gaps), (name, sorted(set(gaps)))
    # and as many runs as the four days hold
    assert abs(len(runs) - 4 * 86400 / period) <= 1, (name, len(runs), period)


def test_the_hourly_sweep_runs_six_times_in_the_six_real_hours_around_the_autumn_change():
    # the example: in Europe/London it ran 5 times (the second 01:05 skipped)
    change = CHANGES[1]
    runs = beat_runs(
        settings.CELERY_BEAT_SCHEDULE["supervision-flag-cases"]["schedule"],
        change - timedelta(hours=3),
        change + timedelta(hours=3),
    )
    assert len(runs) == 6
