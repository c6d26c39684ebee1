from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appointments.clock import LONDON, WallClockError, london_instant


def test_an_ordinary_time_is_its_instant():
    assert london_instant(date(2026, 7, 1), time(10, 0)) == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    assert london_instant(date(2026, 12, 1), time(10, 0)) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("at", [time(1, 0), time(1, 30), time(1, 59)])
def test_a_time_the_clocks_skip_is_refused(at):
    with pytest.raises(WallClockError) as exc:
        london_instant(date(2026, 3, 29), at)  # last Sunday of March 2026
    assert exc.value.kind == "skipped"
    assert "does not exist" in str(exc.value)


@pytest.mark.parametrize("at", [time(1, 0), time(1, 30), time(1, 59)])
def test_a_time_the_clocks_repeat_is_refused(at):
    with pytest.raises(WallClockError) as exc:
        london_instant(date(2026, 10, 25), at)  # last Sunday of October 2026
    assert exc.value.kind == "repeated"
    assert "happens twice" in str(exc.value)


def test_the_minutes_either_side_of_a_change_are_accepted():
    assert london_instant(date(2026, 3, 29), time(0, 59)) == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert london_instant(date(2026, 3, 29), time(2, 0)) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert london_instant(date(2026, 10, 25), time(0, 59)) == datetime(2026, 10, 24, 23, 59, tzinfo=UTC)
    assert london_instant(date(2026, 10, 25), time(2, 0)) == datetime(2026, 10, 25, 2, 0, tzinfo=UTC)


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31)))
def test_every_accepted_time_reads_back_as_itself_and_every_refused_one_is_ambiguous(naive):
    naive = naive.replace(second=0, microsecond=0)
    try:
        instant = london_instant(naive.date(), naive.time())
    except WallClockError:
        # refused only where the two readings of the wall clock differ
        assert naive.replace(tzinfo=LONDON, fold=0).utcoffset() != naive.replace(tzinfo=LONDON, fold=1).utcoffset()
    else:
        assert instant.astimezone(LONDON).replace(tzinfo=None) == naive
        assert instant.tzinfo == UTC


def test_exactly_two_hours_a_year_are_refused():
    refused = 0
    minute = datetime(2027, 1, 1)
    while minute.year == 2027:
        try:
            london_instant(minute.date(), minute.time())
        except WallClockError:
            refused += 1
        minute += timedelta(minutes=15)
    assert refused == 8  # 01:00-01:45 on the two change days, every quarter hour
