"""Records retention: how long each class of record is kept, and from when.

Reference data with a version: change a period here (or override it in the
RETENTION_YEARS setting), bump SCHEDULE_VERSION, and every purge records the
version it applied (purge_records writes it into its audit entry).

Sources and assumptions (docs/decisions/005-security.md):
- Clinical records: NHS England, Records Management Code of Practice 2023,
  retention schedule, "Mental health records (adult)": 20 years after no further
  treatment is considered necessary, or 10 years after the patient's death. The
  system does not hold dates of death, so the clock is the 20 years after the
  patient's last contact, once none of their referrals is open.
- The access audit log: 6 years. The Code does not name this log; 6 years is an
  assumption taken from the Limitation Act 1980 period for claims the log may be
  evidence in. The database trigger refuses to delete younger entries
  (accounts/migrations/0004), so 6 is also a floor no setting can go below.
- Log-in records (django-axes attempts and log-in/log-out entries): 2 years,
  an assumption (security monitoring, not part of the health record).
No Django imports beyond settings, so the schedule reads as a table.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEDULE_VERSION = "2026.1"
AUDIT_LOG_FLOOR_YEARS = 6  # also in the trigger of accounts/migrations/0004_user_sessions.py


@dataclass(frozen=True)
class RetentionRule:
    record_class: str
    years: int
    clock: str
    source: str


SCHEDULE: dict[str, RetentionRule] = {
    rule.record_class: rule
    for rule in (
        RetentionRule(
            "clinical_record",
            20,
            "the patient's last contact (latest referral receipt, last contact or end), no referral open",
            "Records Management Code of Practice 2023: mental health records (adult), 20 years",
        ),
        RetentionRule(
            "access_log",
            6,
            "the time of the audit entry",
            "assumption: 6 years (Limitation Act 1980); the database refuses younger deletions",
        ),
        RetentionRule(
            "login_records",
            2,
            "the time of the attempt or log-in",
            "assumption: 2 years of security monitoring records",
        ),
    )
}


class RetentionConfigurationError(ValueError):
    pass


def retention_years(record_class: str, overrides: dict | None = None) -> int:
    """The period in force for a record class: the RETENTION_YEARS override, else the schedule."""
    if record_class not in SCHEDULE:
        raise RetentionConfigurationError(f"unknown record class {record_class!r}; known: {', '.join(SCHEDULE)}")
    if overrides is None:
        from django.conf import settings

        overrides = getattr(settings, "RETENTION_YEARS", {}) or {}
    years = int(overrides.get(record_class, SCHEDULE[record_class].years))
    if years < 1:
        raise RetentionConfigurationError(f"{record_class}: a retention period must be at least a year")
    if record_class == "access_log" and years < AUDIT_LOG_FLOOR_YEARS:
        raise RetentionConfigurationError(
            f"access_log: {years} years is below the {AUDIT_LOG_FLOOR_YEARS}-year floor the database enforces"
        )
    return years
