"""Reference data the service report compares against (DOMAIN.md "Outcomes",
"Scale"), configurable and versioned like the measures' thresholds. The outcome
standards themselves live with the outcome rules (reports/outcomes.py)."""

from __future__ import annotations

from dataclasses import dataclass

REFERENCE_VERSION = "2026.1"


@dataclass(frozen=True)
class WaitStandards:
    # First treatment within 6 weeks (75%) and 18 weeks (95%) of referral,
    # measured on the referrals that finished a course of treatment in the
    # period (docs/decisions/014).
    six_weeks_days: int = 42
    six_weeks_share: float = 0.75
    eighteen_weeks_days: int = 126
    eighteen_weeks_share: float = 0.95
    # First to second treatment appointment: tracked over 28 and over 90 days.
    second_over_days: tuple[int, int] = (28, 90)
    # Open referrals whose last treatment appointment was over this many days
    # before the period's end (NHS England's OpenReferralOver90daysNoContact).
    no_contact_days: int = 90


@dataclass(frozen=True)
class WorkforceGuides:
    # Skill mix: 40 low-intensity (PWP) to 60 high-intensity therapists.
    pwp_share: float = 0.40
    hit_share: float = 0.60
    # Qualified staff to trainees, 1:2 (read as at most two trainees per qualified practitioner).
    trainees_per_qualified: float = 2.0
    # A qualified PWP helps at least this many patients a year.
    patients_per_qualified_pwp_year: int = 250
    # A senior PWP is a qualified PWP at this band or above.
    senior_band: int = 6


@dataclass(frozen=True)
class SupervisionStandard:
    # Every open case on a PWP's caseload is reviewed at least every 28 days
    # (DOMAIN.md "Supervision"); a case never reviewed counts from its opening.
    review_days: int = 28


WAITS = WaitStandards()
WORKFORCE = WorkforceGuides()
SUPERVISION = SupervisionStandard()

AGE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("Under 18", 0, 17),
    ("18-25", 18, 25),
    ("26-35", 26, 35),
    ("36-45", 36, 45),
    ("46-55", 46, 55),
    ("56-64", 56, 64),
    ("65 and over", 65, None),
)

# NHS Data Dictionary ethnic category codes grouped into the broad groups
# equality monitoring reports on.
ETHNIC_GROUPS: dict[str, tuple[str, ...]] = {
    "White": ("A", "B", "C"),
    "Mixed": ("D", "E", "F", "G"),
    "Asian or Asian British": ("H", "J", "K", "L"),
    "Black or Black British": ("M", "N", "P"),
    "Other ethnic groups": ("R", "S"),
    "Not stated or not known": ("Z", "99"),
}
