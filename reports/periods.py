"""Reporting periods. NHS reporting runs on the financial year (1 April to 31
March) and its quarters (Q1 April-June ... Q4 January-March); a month is a
calendar month; any dates may be given instead. Pure functions, no Django."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

MONTH, QUARTER, YEAR, CUSTOM = "month", "quarter", "year", "custom"
KINDS = (
    (MONTH, "Month"),
    (QUARTER, "Quarter (financial)"),
    (YEAR, "Financial year"),
    (CUSTOM, "Any dates"),
)


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def financial_year_start(day: date) -> date:
    return date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def period_for(kind: str, anchor: date, *, start: date | None = None, end: date | None = None) -> Period:
    """The period of a kind that contains the anchor date (custom: start..end)."""
    if kind == MONTH:
        first = anchor.replace(day=1)
        return Period(first, month_end(first.year, first.month), f"{first:%B %Y}")
    if kind == QUARTER:
        fy = financial_year_start(anchor)
        quarter = ((anchor.year * 12 + anchor.month) - (fy.year * 12 + fy.month)) // 3
        first = add_months(fy, 3 * quarter)
        last = add_months(first, 2)
        return Period(
            first,
            month_end(last.year, last.month),
            f"Q{quarter + 1} {fy.year}/{(fy.year + 1) % 100:02d} ({first:%b} to {last:%b %Y})",
        )
    if kind == YEAR:
        fy = financial_year_start(anchor)
        return Period(fy, date(fy.year + 1, 3, 31), f"Financial year {fy.year}/{(fy.year + 1) % 100:02d}")
    if kind == CUSTOM:
        if start is None or end is None or end < start:
            raise ValueError("Give a start date on or before the end date.")
        return Period(start, end, f"{start:%d/%m/%Y} to {end:%d/%m/%Y}")
    raise ValueError(f"Unknown period kind {kind!r}")


def months_in(start: date, end: date) -> list[date]:
    """The first day of every month that overlaps start..end."""
    months = []
    current = start.replace(day=1)
    while current <= end:
        months.append(current)
        current = add_months(current, 1)
    return months


def trend_start(period: Period, months: int = 12) -> date:
    """Trend charts show at least `months` months ending with the period's last month."""
    return min(period.start.replace(day=1), add_months(period.end, -(months - 1)))
