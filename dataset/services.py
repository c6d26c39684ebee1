"""Every write of the national data set: asking for a month's extract, building it
(Celery, dataset/tasks.py), downloading it. The extract is identifiable by
nature (NHS numbers, dates of birth, postcodes): only a service manager of the
service holding the submission permission asks for and downloads it, with a
reason; every step is audited, and each download names every patient in the
file (DOMAIN.md "Who uses it", issue 13's disclosure rule)."""

from __future__ import annotations

import logging
import os
from datetime import date, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import AccessAction, Role, Service, User
from outbox.services import outbox_enqueue

from . import spec
from .extract import ExtractScope, referrals_in, write_extract
from .models import DatasetExtract, ExtractKind, ExtractStatus
from .validation import Validator

logger = logging.getLogger(__name__)

SUBMIT_PERMISSION = "dataset.submit_dataset"
BUILD_TASK = "dataset.tasks.build_extract"
# A build whose heartbeat is older than this is taken to have lost its worker:
# the next delivery (or the sweep) builds it again from the beginning.
STALE_AFTER = timedelta(minutes=5)
EARLIEST_MONTH = date(2010, 1, 1)


def can_submit(user: User) -> bool:
    """A service manager with the submission permission (never a system administrator)."""
    return (
        getattr(user, "is_authenticated", False)
        and user.is_active
        and user.role == Role.SERVICE_MANAGER
        and user.service_id is not None
        and user.has_perm(SUBMIT_PERMISSION)
    )


def check_can_submit(user: User) -> None:
    """Http404 for anyone who may not build or download the submission (no enumeration)."""
    if not can_submit(user):
        raise Http404("No such page")


def _root() -> Path:
    root = Path(settings.EXPORT_ROOT) / "dataset"
    root.mkdir(parents=True, exist_ok=True)
    return root


@transaction.atomic
def dataset_extract_request(
    *,
    user: User | None,
    year: int,
    month: int,
    kind: str = ExtractKind.PRIMARY,
    reason: str,
    service: Service | None = None,
) -> DatasetExtract:
    """Queues the build of a month's extract for the user's service (or, for the
    scheduled build with user None, for `service`). ValidationError with field
    messages for a month that has not ended, one before 2010, an unknown kind, or
    no reason; Http404 for a user without the permission."""
    if user is not None:
        check_can_submit(user)
        service = user.service
    errors = {}
    try:
        start = date(year, month, 1)
    except (TypeError, ValueError):
        errors["month"] = "Choose a month."
        start = None
    if start is not None:
        if start < EARLIEST_MONTH:
            errors["month"] = "Choose a month from January 2010."
        elif start > timezone.localdate().replace(day=1) - timedelta(days=1):
            errors["month"] = "Choose a month that has ended."
    if kind not in ExtractKind.values:
        errors["kind"] = "Choose primary or refresh."
    if not (reason or "").strip():
        errors["reason"] = "Say why the extract is built: it holds identifiable data."
    if errors:
        raise ValidationError(errors)
    scope = ExtractScope.for_month(service, start.year, start.month, kind)
    extract = DatasetExtract.objects.create(
        service=service,
        period_start=scope.period_start,
        period_end=scope.period_end,
        kind=kind,
        requested_by=user,
        reason=reason.strip(),
        tables_total=len(spec.TABLES),
    )
    audit_record(
        user=user,
        action=AccessAction.CREATE,
        object_type="dataset_extract",
        object_id=extract.pk,
        detail={"period": scope.period_start.isoformat(), "kind": kind, "reason": extract.reason},
    )
    # In this transaction: a broker outage delays the build, never loses it.
    outbox_enqueue(task=BUILD_TASK, args=[str(extract.pk)])
    return extract


def dataset_extract_build(*, extract_id) -> DatasetExtract | None:
    """Builds a queued extract: writes the zip (as `<id>.zip.part`, renamed when
    whole), validates every row as it is written, stores the manifest and the
    validation report. Safe to run twice or concurrently: only the run that moves
    the extract from queued (or from a build whose heartbeat stopped) to running
    builds it; a redelivered build starts again from the beginning. A failure
    marks the extract failed with the error's kind, never half-built."""
    now = timezone.now()
    claimed = DatasetExtract.objects.filter(
        Q(status=ExtractStatus.QUEUED) | Q(status=ExtractStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER),
        pk=extract_id,
    ).update(status=ExtractStatus.RUNNING, started_at=now, heartbeat_at=now, tables_done=0, error="")
    if not claimed:
        return None
    extract = DatasetExtract.objects.select_related("service", "requested_by").get(pk=extract_id)
    final = _root() / f"{extract.pk}.zip"
    partial = final.with_suffix(".zip.part")
    try:
        scope = ExtractScope(
            service=extract.service,
            period_start=extract.period_start,
            period_end=extract.period_end,
            kind=extract.kind,
        )
        validator = Validator()
        done = [0]

        def on_table(_name, _rows):
            done[0] += 1
            DatasetExtract.objects.filter(pk=extract.pk).update(tables_done=done[0], heartbeat_at=timezone.now())

        manifest = write_extract(scope, partial, on_table=on_table, rows_batch_hook=validator.rows_of)
        report = validator.finish()
        os.replace(partial, final)
        DatasetExtract.objects.filter(pk=extract.pk).update(
            status=ExtractStatus.DONE,
            file_path=str(Path("dataset") / final.name),
            manifest=manifest,
            validation=report.as_dict(),
            errors=report.errors,
            warnings=report.warnings,
            finished_at=timezone.now(),
        )
        audit_record(
            user=None,
            action=AccessAction.EXPORT,
            object_type="dataset_extract",
            object_id=extract.pk,
            detail={"built": True, "rows": {t["name"]: t["rows"] for t in manifest["tables"]}},
        )
    except Exception as exc:  # noqa: BLE001 - any failure fails the build, visibly, without patient data
        logger.exception("Data set extract %s failed", extract.pk)
        partial.unlink(missing_ok=True)
        DatasetExtract.objects.filter(pk=extract.pk).update(
            status=ExtractStatus.FAILED, error=type(exc).__name__, finished_at=timezone.now()
        )
    extract.refresh_from_db()
    return extract


def dataset_extract_get_for_user(*, user: User, extract_id) -> DatasetExtract:
    """An extract of the user's own service; Http404 for anyone without the permission or for another service's."""
    check_can_submit(user)
    try:
        return DatasetExtract.objects.select_related("service", "requested_by").get(
            pk=extract_id, service_id=user.service_id
        )
    except (DatasetExtract.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404("No such extract") from exc


def dataset_extract_open(*, user: User, extract: DatasetExtract):
    """The built file, opened for download. The permission is checked again now
    (it may have been withdrawn since the build); ValidationError when the extract
    is not built or its file is gone. Audited with every patient in the file."""
    check_can_submit(user)
    if not extract.ready or not extract.file_path:
        raise ValidationError("This extract is not built yet.")
    path = Path(settings.EXPORT_ROOT) / extract.file_path
    if not path.exists():
        raise ValidationError("The file of this extract is gone: build it again.")
    scope = ExtractScope(
        service=extract.service, period_start=extract.period_start, period_end=extract.period_end, kind=extract.kind
    )
    patient_ids = [str(pk) for pk in referrals_in(scope).values_list("patient_id", flat=True).distinct()]
    audit_record(
        user=user,
        action=AccessAction.EXPORT,
        object_type="dataset_extract",
        object_id=extract.pk,
        detail={"downloaded": True, "reason": extract.reason, "count": len(patient_ids), "patient_ids": patient_ids},
    )
    return path.open("rb")


def dataset_extracts_rerun_stale() -> int:
    """Builds that lost their worker (heartbeat older than STALE_AFTER) are queued
    again; returns how many. Run by beat, so no build hangs in 'building'."""
    stale = list(
        DatasetExtract.objects.filter(
            status=ExtractStatus.RUNNING, heartbeat_at__lt=timezone.now() - STALE_AFTER
        ).values_list("pk", flat=True)
    )
    for pk in stale:
        outbox_enqueue(task=BUILD_TASK, args=[str(pk)])
    return len(stale)


def first_working_day(year: int, month: int) -> date:
    """The month's first Monday-to-Friday day. Bank holidays are not known to the
    product: on one, the build runs a day early, which is harmless (it needs only
    the previous month to have ended)."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def dataset_extracts_schedule(*, today: date | None = None) -> int:
    """On the first working day of a month, queues the previous month's primary
    extract for every service that has none yet; returns how many were queued."""
    today = today or timezone.localdate()
    if today != first_working_day(today.year, today.month):
        return 0
    previous = today.replace(day=1) - timedelta(days=1)
    queued = 0
    for service in Service.objects.all():
        exists = DatasetExtract.objects.filter(
            service=service, period_start=previous.replace(day=1), kind=ExtractKind.PRIMARY
        ).exists()
        if not exists:
            dataset_extract_request(
                user=None,
                service=service,
                year=previous.year,
                month=previous.month,
                reason="Scheduled build of the monthly submission (first working day)",
            )
            queued += 1
    return queued
