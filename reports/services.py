"""Every export: checked, audited (with its filters and row count) and, when
large, run as a Celery job whose file expires.

An identifiable export needs the reports.export_identifiable permission and a
stated reason; a pseudonymised one is the default."""

from __future__ import annotations

import logging
import os
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.audit import audit_manifest, audit_manifest_copy, audit_record
from accounts.models import AccessAction, AccessLog, User
from patients.models import Referral

from . import exports, figures
from .models import ExportFormat, ExportJob, ExportStatus
from .selectors import (
    ReportScope,
    can_export_identifiable,
    can_export_records,
    check_can_report,
    report_scope_for_user,
)

# The export task, by its registered name (reports/tasks.py `run_export`).
RUN_EXPORT_TASK = "reports.tasks.run_export"

logger = logging.getLogger(__name__)

AUDIT_OBJECT = "report_export"
PROGRESS_EVERY_ROWS = 2000
# What a job stopped by a lost worker (and not rerun) says, in `error`.
WORKER_LOST = "WorkerLost"


def export_referrals(scope: ReportScope):
    """The referrals an export of `scope` holds, one row each: every referral
    open at any time in the period (the same predicate as reports/sql.py)."""
    qs = Referral.objects.filter(service=scope.service, received_on__lte=scope.date_to).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gte=scope.date_from)
    )
    if scope.team:
        qs = qs.filter(team=scope.team)
    return qs


def export_row_count(scope: ReportScope) -> int:
    """How many rows the outcome SELECT gives for a scope: one per referral
    open at any time in the period."""
    return export_referrals(scope).count()


def check_export_allowed(*, user: User | None, identifiable: bool, reason: str) -> None:
    """Record-level exports, even pseudonymised, are for service managers only
    (issue 13 finding 5; README "Who sees what"): anyone else, the system
    administrator included, gets PermissionDenied. Identifiable needs the
    permission and a reason. Called when an export is asked for, when its job
    runs and when its file is downloaded, so a withdrawn role or permission
    stops it at each step."""
    if user is not None:
        check_can_report(user)
        if not can_export_records(user):
            raise PermissionDenied("Record-level exports are for service managers.")
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
    """One audit entry for the export, and its manifest: one row per patient
    in the file (accounts.audit.audit_manifest, one INSERT ... SELECT), so
    each patient's "who read this record" page lists the export."""
    entry = audit_record(
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
    audit_manifest(entry=entry, patient_ids=export_referrals(scope).values("patient_id"))
    return entry


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

    # In this transaction: a broker outage delays the export, never loses it.
    # By name: tasks.py imports this module (tasks call services, not the reverse).
    outbox_enqueue(task=RUN_EXPORT_TASK, args=[job.pk])
    return job


def _stale_before(now):
    return now - timedelta(seconds=settings.EXPORT_STALE_SECONDS)


def _running_and_stale(now) -> Q:
    """A running job whose worker stopped: no heartbeat for EXPORT_STALE_SECONDS."""
    stale = _stale_before(now)
    return Q(status=ExportStatus.RUNNING) & (
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale)
    )


class _Heartbeat(threading.Thread):
    """Writes the job's `heartbeat_at` every EXPORT_HEARTBEAT_SECONDS while the
    run lives, on its own connection, so a long query of the run itself never
    looks like a dead worker; it dies with the process that runs the job."""

    def __init__(self, job_id):
        super().__init__(name=f"export-heartbeat-{job_id}", daemon=True)
        self.job_id = job_id
        self.stopped = threading.Event()

    def run(self):
        try:
            while not self.stopped.wait(settings.EXPORT_HEARTBEAT_SECONDS):
                ExportJob.objects.filter(pk=self.job_id, status=ExportStatus.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()

    def stop(self):
        self.stopped.set()
        self.join()


def export_job_run(*, job_id) -> ExportJob | None:
    """Runs a queued export, from the first row. Safe to run twice or
    concurrently: only the run that moves the job from queued (or from a run
    whose worker died, seen by its stale heartbeat) to running does it; a rerun
    writes the file again from the start. Returns None when it did not run it."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(
        Q(status=ExportStatus.QUEUED) | _running_and_stale(now),
        pk=job_id,
        attempts__lt=settings.EXPORT_MAX_ATTEMPTS,
    ).update(
        status=ExportStatus.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        rows_written=0,
        error="",
    )
    if not claimed:
        return None
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    final = _export_root() / f"{job.pk}.{job.format}"
    partial = final.with_suffix(final.suffix + ".part")
    heartbeat = _Heartbeat(job.pk)
    heartbeat.start()
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
    finally:
        heartbeat.stop()
    job.refresh_from_db()
    return job


def export_job_held_elsewhere(*, job_id) -> bool:
    """True while another run holds the job (running, heartbeat fresh): a
    redelivered task then waits and looks again (reports/tasks.py)."""
    return (
        ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)
        .exclude(_running_and_stale(timezone.now()))
        .exists()
    )


@transaction.atomic
def export_jobs_reap(*, now=None) -> dict:
    """Beat, every minute: finds running exports whose worker died (no heartbeat
    for EXPORT_STALE_SECONDS) and queues each again (a new run from the start,
    through the outbox), or, after EXPORT_MAX_ATTEMPTS runs, marks it failed with
    the reason shown and a "Try again" on its page. Then removes `.part` files no
    live run is writing. Returns {"requeued": n, "failed": n, "parts_removed": n}."""
    from outbox.services import outbox_enqueue

    now = now or timezone.now()
    stale = ExportJob.objects.select_for_update(skip_locked=True).filter(_running_and_stale(now))
    requeued = failed = 0
    for job in stale:
        if job.attempts >= settings.EXPORT_MAX_ATTEMPTS:
            ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.FAILED, error=WORKER_LOST, finished_at=now)
            logger.warning("Export job %s failed: its worker stopped %s times", job.pk, job.attempts)
            failed += 1
        else:
            ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.QUEUED, rows_written=0)
            outbox_enqueue(task=RUN_EXPORT_TASK, args=[job.pk])
            logger.warning("Export job %s lost its worker; queued again", job.pk)
            requeued += 1
    return {"requeued": requeued, "failed": failed, "parts_removed": _remove_stale_parts(now)}


def _remove_stale_parts(now) -> int:
    """Deletes the `.part` files of jobs no live run is writing (finished,
    failed, queued again, or gone)."""
    root = Path(settings.EXPORT_ROOT)
    if not root.is_dir():
        return 0
    live = {
        str(pk)
        for pk in ExportJob.objects.filter(status=ExportStatus.RUNNING)
        .exclude(_running_and_stale(now))
        .values_list("pk", flat=True)
    }
    removed = 0
    for part in root.glob("*.part"):
        if part.name.split(".", 1)[0] not in live:
            part.unlink(missing_ok=True)
            removed += 1
    return removed


def export_job_retry(*, user: User, job: ExportJob) -> ExportJob:
    """ "Try again" on a failed export: a new job with the same filters, format
    and reason, checked again as a new request is (the user's access may have
    changed). Raises ValidationError when the job did not fail."""
    if job.status != ExportStatus.FAILED:
        raise ValidationError("Only a failed export can be tried again.")
    scope = report_scope_for_user(user=user, filters=job.filters)
    return export_job_request(user=user, scope=scope, fmt=job.format, identifiable=job.identifiable, reason=job.reason)


def export_job_file(*, user: User, job: ExportJob):
    """The finished file of the user's own job, audited as a download with the
    manifest of the file (the patients its run recorded); a job not ready or
    expired gives ValidationError. The permission is checked again now
    (PermissionDenied): a role, service or identifiable-export permission
    withdrawn since the job was asked for stops the download (finding 6)."""
    user = User.objects.get(pk=user.pk)  # permissions as they are now, not as cached on the request's user
    check_export_allowed(user=user, identifiable=job.identifiable, reason=job.reason)
    report_scope_for_user(user=user, filters=job.filters)  # still the user's service (404 otherwise)
    if job.status != ExportStatus.DONE or job.is_expired or not job.file_path:
        raise ValidationError("This export is not available: it is not ready, or it has expired.")
    path = _export_root() / Path(job.file_path).name
    handle = open(path, "rb")  # noqa: SIM115 - the response closes it
    entry = audit_record(
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
    run = (
        AccessLog.objects.filter(object_type=AUDIT_OBJECT, object_id=str(job.pk), detail__delivery="job")
        .order_by("-id")
        .first()
    )
    if run is not None:
        audit_manifest_copy(entry=entry, source=run)
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
