"""The retention purge of the access core's own tables (accounts/retention.py):
the access log and the log-in records. Counts what is past its period, deletes
it set-based and writes one audit entry per purge. The clinical record's purge
lives beside the records it deletes (patients/purge.py), which also serves
`manage.py purge_records` for every record class."""

from __future__ import annotations

import datetime as dt

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone

from .audit import audit_record
from .models import AccessAction, AccessLog, AccessLogPatient
from .retention import SCHEDULE_VERSION, retention_years

LOGIN_RECORD_MODELS = ("axes.AccessAttempt", "axes.AccessFailureLog", "axes.AccessLog")
OWN_RECORD_CLASSES = ("access_log", "login_records")


def cutoff_for(record_class: str, *, today: dt.date | None = None) -> dt.date:
    """Records whose clock is before this day are past their period. A whole
    day, so that the database's own floor (now() - 6 years) is never crossed by
    a few milliseconds."""
    today = today or timezone.localdate()
    return today - relativedelta(years=retention_years(record_class))


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _check_own(record_class: str) -> None:
    if record_class not in OWN_RECORD_CLASSES:
        raise ValueError(f"{record_class!r} is purged by the app that holds it, not by accounts")


def _login_querysets(cutoff: dt.date):
    for label in LOGIN_RECORD_MODELS:
        yield label, apps.get_model(label).objects.filter(attempt_time__lt=start_of(cutoff))


def _access_log_querysets(cutoff: dt.date):
    entries = AccessLog.objects.filter(at__lt=start_of(cutoff))
    yield "accounts.AccessLogPatient", AccessLogPatient.objects.filter(access_log_id__in=entries.values("id"))
    yield "accounts.AccessLog", entries


def records_count(*, record_class: str, today: dt.date | None = None) -> dict[str, int]:
    """What a purge of the class would delete now, per table (the dry run).
    Only this app's own classes (OWN_RECORD_CLASSES); ValueError for any other."""
    _check_own(record_class)
    cutoff = cutoff_for(record_class, today=today)
    if record_class == "access_log":
        return {label: qs.count() for label, qs in _access_log_querysets(cutoff)}
    return {label: qs.count() for label, qs in _login_querysets(cutoff)}


@transaction.atomic
def records_purge(*, record_class: str, today: dt.date | None = None) -> dict[str, int]:
    """Deletes the records of the class past their period and writes the audit
    entry of the purge (what, how many, the cutoff, the schedule version).
    All or nothing: one transaction. ValueError for a class not this app's own."""
    _check_own(record_class)
    cutoff = cutoff_for(record_class, today=today)
    deleted: dict[str, int] = {}
    if record_class == "access_log":
        with connection.cursor() as cursor:
            # The only way past the append-only trigger, for this transaction only,
            # and still only for entries older than the 6-year floor.
            cursor.execute("SET LOCAL iapt.audit_purge = 'on'")
        for label, qs in _access_log_querysets(cutoff):  # the manifests of the entries first
            deleted[label] = qs._raw_delete(qs.db)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL iapt.audit_purge = 'off'")
    else:
        for label, qs in _login_querysets(cutoff):
            deleted[label] = qs._raw_delete(qs.db)
    purge_audit(record_class=record_class, cutoff=cutoff, deleted=deleted)
    return deleted


def purge_audit(*, record_class: str, cutoff: dt.date, deleted: dict[str, int]) -> None:
    """The one audit entry of a purge: what, how many per table, the cutoff and
    the retention schedule's version."""
    audit_record(
        user=None,
        action=AccessAction.PURGE,
        object_type=record_class,
        detail={
            "deleted": deleted,
            "cutoff": cutoff.isoformat(),
            "retention_years": retention_years(record_class),
            "schedule_version": SCHEDULE_VERSION,
        },
    )
