import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV (one row per referral)"
    XLSX = "xlsx", "XLSX workbook (a sheet per report section)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"
    EXPIRED = "expired", "Expired"


class ExportJob(models.Model):
    """A large export run by a Celery worker (reports/tasks.py). The file lives
    under settings.EXPORT_ROOT, never under a public media URL; only the person
    who asked for it downloads it, until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="export_jobs")
    requested_at = models.DateTimeField(default=timezone.now)
    filters = models.JSONField(help_text="service_id, team_id, date_from, date_to (ISO dates)")
    format = models.CharField(max_length=4, choices=ExportFormat.choices)
    identifiable = models.BooleanField(default=False)
    reason = models.TextField(blank=True, help_text="Why an identifiable export is needed")
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_written = models.PositiveIntegerField(default=0)
    file_path = models.CharField(max_length=300, blank=True, help_text="Relative to settings.EXPORT_ROOT")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("export_identifiable", "Can export identifiable patient-level data (with a stated reason)")]
        constraints = [
            models.CheckConstraint(
                condition=Q(identifiable=False) | ~Q(reason=""), name="exportjob_identifiable_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["requested_by", "requested_at"]),
            models.Index(fields=["status", "expires_at"]),
        ]

    def __str__(self):
        return f"{self.get_format_display()} export {timezone.localtime(self.requested_at):%d/%m/%Y %H:%M}"

    @property
    def is_expired(self) -> bool:
        return self.status == ExportStatus.EXPIRED or (
            self.expires_at is not None and self.expires_at <= timezone.now()
        )

    @property
    def progress_percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(100 * self.rows_written / self.rows_total))

    @property
    def filename(self) -> str:
        kind = "identifiable" if self.identifiable else "pseudonymised"
        f = self.filters
        return f"talking-therapies-{kind}-{f.get('date_from')}-to-{f.get('date_to')}.{self.format}"
