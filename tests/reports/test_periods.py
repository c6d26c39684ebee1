from datetime import date

import pytest

from reports import periods


@pytest.mark.parametrize(
    ("kind", "anchor", "start", "end", "label"),
    [
        ("month", date(2026, 2, 14), date(2026, 2, 1), date(2026, 2, 28), "February 2026"),
        ("month", date(2028, 2, 1), date(2028, 2, 1), date(2028, 2, 29), "February 2028"),
        ("quarter", date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30), "Q1 2026/27 (Apr to Jun 2026)"),
        ("quarter", date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31), "Q3 2026/27 (Oct to Dec 2026)"),
        ("quarter", date(2027, 3, 31), date(2027, 1, 1), date(2027, 3, 31), "Q4 2026/27 (Jan to Mar 2027)"),
        ("year", date(2026, 3, 31), date(2025, 4, 1), date(2026, 3, 31), "Financial year 2025/26"),
        ("year", date(2026, 4, 1), date(2026, 4, 1), date(2027, 3, 31), "Financial year 2026/27"),
    ],
)
def test_periods(kind, anchor, start, end, label):
    period = periods.period_for(kind, anchor)
    assert (period.start, period.end, period.label) == (start, end, label)


def test_custom_periods():
    period = periods.period_for("custom", date(2026, 1, 1), start=date(2026, 1, 5), end=date(2026, 1, 5))
    assert period.days == 1
    with pytest.raises(ValueError):
        periods.period_for("custom", date(2026, 1, 1), start=date(2026, 1, 5), end=date(2026, 1, 4))
    with pytest.raises(ValueError):
        periods.period_for("fortnight", date(2026, 1, 1))


def test_the_trend_covers_at_least_twelve_months():
    month = periods.period_for("month", date(2026, 6, 1))
    assert periods.trend_start(month) == date(2025, 7, 1)
    assert len(periods.months_in(periods.trend_start(month), month.end)) == 12
    two_years = periods.period_for("custom", date(2026, 1, 1), start=date(2024, 4, 1), end=date(2026, 3, 31))
    assert periods.trend_start(two_years) == date(2024, 4, 1)
