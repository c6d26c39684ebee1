"""Every export: checked, audited (with its filters and row count) and, when
large, run as a Celery job whose file expires.

An identifiable export needs the reports.export_identifiable permission and a
stated reason; a pseudonymised one is the default."""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AccessAction, User
from patients.models import Referral

from . import exports, figures
from .models import ExportFormat, ExportJob, ExportStatus
from .selectors import ReportScope, can_export_identifiable, check_can_report, report_scope_for_user

logger = logging.getLogger(__name__)

AUDIT_OBJECT = "report_export"
PROGRESS_EVERY_ROWS = 2000
STALE_RUNNING = timedelta(hours=2)  # a job "running" this long lost its worker; another may take it


def export_row_count(scope: ReportScope) -> int:
    """How many rows the outcome SELECT gives for a scope: one per referral
    open at any time in the period (the same predicate as reports/sql.py)."""
    qs = Referral.objects.filter(service=scope.service, received_on__lte=scope.date_to).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=scope.date_from)
    )
    if scope.team:
        qs = qs.filter(team=scope.team)
    return qs.count()


def check_export_allowed(*, user: User | None, identifiable: bool, reason: str) -> None:
    """Reports roles only; identifiable needs the permission and a reason."""
    if user is not None:
        check_can_report(user)
    if not identifiable:
        return
    if user is None or not can_export_identifiable(user):
        raise PermissionDenied("An identifiable export needs the identifiable-export permission.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "State why an identifiable export is needed."})


def export_audit_record(
    *,
    user: User | None,
    scope: ReportScope,
    fmt: str,
    identifiable: bool,
    reason: str,
    rows: int,
    delivery: str,
    job: ExportJob | None = None,
):
    return audit_record(
        user=user,
        action=AccessAction.EXPORT,
        object_type=AUDIT_OBJECT,
        object_id=job.pk if job else "",
        detail={
            "filters": scope.filters(),
            "format": fmt,
            "identifiable": identifiable,
            "reason": reason if identifiable else "",
            "row_count": rows,
            "delivery": delivery,
        },
    )


def export_start(*, user: User, scope: ReportScope, fmt: str, identifiable: bool, reason: str = "") -> ExportJob | None:
    """Checks an export and decides how it is delivered: more rows than
    EXPORT_SYNC_MAX_ROWS make a Celery job (returned); fewer are audited here,
    before any row leaves, and the caller streams them at once (None)."""
    check_export_allowed(user=user, identifiable=identifiable, reason=reason)
    rows = export_row_count(scope)
    if rows > settings.EXPORT_SYNC_MAX_ROWS:
        return export_job_request(
            user=user, scope=scope, fmt=fmt, identifiable=identifiable, reason=reason, rows_total=rows
        )
    export_audit_record(
        user=user, scope=scope, fmt=fmt, identifiable=identifiable, reason=reason, rows=rows, delivery="download"
    )
    return None


def write_export_file(
    *, path: Path, scope: ReportScope, fmt: str, identifiable: bool, on_rows=None, generated_by: str = ""
) -> int:
    """Writes the CSV or the XLSX workbook to a file, streaming the rows;
    returns how many record rows it wrote."""
    records = exports.iter_records(scope, identifiable=identifiable)
    if fmt == ExportFormat.CSV:
        count = 0

        def counted(n):
            nonlocal count
            count = n
            if on_rows:
                on_rows(n)

        with open(path, "w", encoding="utf-8", newline="") as handle:
            for chunk in exports.csv_chunks(records, identifiable=identifiable, on_rows=counted):
                handle.write(chunk)
        return count
    writer = exports.XlsxWriter(path)
    try:
        report = figures.service_report(scope)
        exports.write_report(writer, report, identifiable=identifiable, generated_by=generated_by)
        exports.write_code_lists(writer)
        return writer.write_records(records, identifiable=identifiable, on_rows=on_rows)
    finally:
        writer.close()


def xlsx_temporary_file(*, user: User, scope: ReportScope, identifiable: bool):
    """The workbook written to an unnamed temporary file, open for reading
    (deleted when closed)."""
    handle, name = tempfile.mkstemp(suffix=".xlsx", dir=_export_root())
    os.close(handle)
    try:
        write_export_file(
            path=Path(name),
            scope=scope,
            fmt=ExportFormat.XLSX,
            identifiable=identifiable,
            generated_by=user.username,
        )
        return open(name, "rb")  # noqa: SIM115 - the response closes it
    finally:
        os.unlink(name)  # the open handle keeps the data until it is closed


def _export_root() -> Path:
    root = Path(settings.EXPORT_ROOT)
    root.mkdir(parents=True, exist_ok=True)
    return root


@transaction.atomic
def export_job_request(
    *, user: User, scope: ReportScope, fmt: str, identifiable: bool, reason: str = "", rows_total: int | None = None
) -> ExportJob:
    """Queues a large export for a Celery worker; the task gets the job's id only."""
    check_export_allowed(user=user, identifiable=identifiable, reason=reason)
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": "Choose CSV or XLSX."})
    job = ExportJob.objects.create(
        requested_by=user,
        filters=scope.filters(),
        format=fmt,
        identifiable=identifiable,
        reason=reason.strip() if identifiable else "",
        rows_total=rows_total if rows_total is not None else export_row_count(scope),
    )
    from outbox.services import outbox_enqueue

    from .tasks import run_export

    # In this transaction: a broker outage delays the export, never loses it.
    outbox_enqueue(task=run_export.name, args=[job.pk])
    return job


def export_job_run(*, job_id) -> ExportJob | None:
    """Runs a queued export. Safe to run twice or concurrently: only the run
    that moves the job from queued (or from a stale run) to running does it."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(
        Q(status=ExportStatus.QUEUED) | Q(status=ExportStatus.RUNNING, started_at__lt=now - STALE_RUNNING), pk=job_id
    ).update(status=ExportStatus.RUNNING, started_at=now, rows_written=0, error="")
    if not claimed:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    final = _export_root() / f"{job.pk}.{job.format}"
    partial = final.with_suffix(final.suffix + ".part")
    try:
        user = job.requested_by
        # The requester's access is checked again: a role or permission may have
        # changed since the job was queued.
        scope = report_scope_for_user(user=user, filters=job.filters)
        check_export_allowed(user=user, identifiable=job.identifiable, reason=job.reason)

        last = [0]

        def progress(n):
            if n - last[0] >= PROGRESS_EVERY_ROWS:  # a write every few thousand rows, not every chunk
                last[0] = n
                ExportJob.objects.filter(pk=job.pk).update(rows_written=n)

        rows = write_export_file(
            path=partial,
            scope=scope,
            fmt=job.format,
            identifiable=job.identifiable,
            on_rows=progress,
            generated_by=user.username,
        )
        os.replace(partial, final)
        finished = timezone.now()
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.DONE,
            rows_written=rows,
            rows_total=rows,
            file_path=final.name,
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.EXPORT_TTL_HOURS),
        )
        export_audit_record(
            user=user,
            scope=scope,
            fmt=job.format,
            identifiable=job.identifiable,
            reason=job.reason,
            rows=rows,
            delivery="job",
            job=job,
        )
    except Exception as exc:  # noqa: BLE001 - any failure fails the job, visibly, without patient data
        logger.exception("Export job %s failed", job.pk)
        partial.unlink(missing_ok=True)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportStatus.FAILED, error=type(exc).__name__, finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job


def export_job_file(*, user: User, job: ExportJob):
    """The finished file of the user's own job, audited as a download; a job
    not ready or expired gives ValidationError."""
    if job.status != ExportStatus.DONE or job.is_expired or not job.file_path:
        raise ValidationError("This export is not available: it is not ready, or it has expired.")
    path = _export_root() / Path(job.file_path).name
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    audit_record(
        user=user,
        action=AccessAction.EXPORT,
        object_type=AUDIT_OBJECT,
        object_id=job.pk,
        detail={
            "filters": job.filters,
            "format": job.format,
            "identifiable": job.identifiable,
            "reason": job.reason,
            "row_count": job.rows_written,
            "delivery": "job download",
        },
    )
    return handle


def export_jobs_expire(*, now=None) -> int:
    """Deletes the files of expired exports and marks them expired (set-based)."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(status=ExportStatus.DONE, expires_at__lte=now)
    paths = list(expired.values_list("file_path", flat=True))
    root = Path(settings.EXPORT_ROOT)
    for name in paths:
        if name:
            (root / Path(name).name).unlink(missing_ok=True)
    return expired.update(status=ExportStatus.EXPIRED, file_path="")
