"""Caseload capacity rules (DOMAIN.md "Scale"), configurable reference data.

A qualified PWP carries a full caseload; a trainee carries none in the first
months, about 80% of a full one after that, and a full one from month 10.
"""

from dataclasses import dataclass
from datetime import date

CAPACITY_VERSION = "2026.1"


@dataclass(frozen=True)
class CapacityRules:
    full_caseload: int = 40  # open cases a qualified PWP carries; services set their own
    trainee_no_caseload_months: int = 3
    trainee_partial_until_month: int = 10
    trainee_partial_share: float = 0.8


RULES = CapacityRules()


def months_between(start: date, on: date) -> int:
    months = (on.year - start.year) * 12 + (on.month - start.month)
    if on.day < start.day:
        months -= 1
    return max(months, 0)


def capacity_share(*, is_trainee: bool, training_start: date | None, on: date, rules: CapacityRules = RULES) -> float:
    """Share of a full caseload a practitioner may carry on a date."""
    if not is_trainee:
        return 1.0
    if training_start is None:
        return 0.0
    months = months_between(training_start, on)
    if months < rules.trainee_no_caseload_months:
        return 0.0
    if months < rules.trainee_partial_until_month:
        return rules.trainee_partial_share
    return 1.0


def caseload_capacity(*, is_trainee: bool, training_start: date | None, on: date, rules: CapacityRules = RULES) -> int:
    share = capacity_share(is_trainee=is_trainee, training_start=training_start, on=on, rules=rules)
    return int(round(rules.full_caseload * share))
