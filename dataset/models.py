import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ExtractKind(models.TextChoices):
    PRIMARY = "primary", "Primary (first submission of the month)"
    REFRESH = "refresh", "Refresh (resubmission with corrections)"


class ExtractStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Building"
    DONE = "done", "Built"
    FAILED = "failed", "Failed"


class DatasetExtract(models.Model):
    """One build of a provider's monthly IAPT Data Set extract (dataset/extract.py),
    run by a Celery worker with progress, and its validation report. The zip lives
    under settings.EXPORT_ROOT/dataset, never under a public URL."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey("accounts.Service", on_delete=models.PROTECT, related_name="dataset_extracts")
    period_start = models.DateField(help_text="First day of the reporting month")
    period_end = models.DateField(help_text="Last day of the reporting month")
    kind = models.CharField(max_length=10, choices=ExtractKind.choices, default=ExtractKind.PRIMARY)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="dataset_extracts"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField(help_text="Why the extract is built (it is identifiable)")
    status = models.CharField(max_length=10, choices=ExtractStatus.choices, default=ExtractStatus.QUEUED)
    tables_done = models.PositiveSmallIntegerField(default=0)
    tables_total = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    file_path = models.CharField(max_length=300, blank=True, help_text="Relative to settings.EXPORT_ROOT")
    manifest = models.JSONField(default=dict, blank=True)
    validation = models.JSONField(default=dict, blank=True)
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at"]
        permissions = [("submit_dataset", "Can build and download the monthly national data set submission")]
        indexes = [models.Index(fields=["service", "period_start", "requested_at"])]

    def __str__(self):
        return f"IAPT data set {self.period_start:%m/%Y} ({self.get_kind_display()})"

    @property
    def progress_percent(self) -> int:
        if self.status == ExtractStatus.DONE:
            return 100
        return int(100 * self.tables_done / self.tables_total) if self.tables_total else 0

    @property
    def filename(self) -> str:
        return f"IAPT-v2.1-{self.service.ods_code}-{self.period_start:%Y-%m}-{self.kind}.zip"

    @property
    def ready(self) -> bool:
        return self.status == ExtractStatus.DONE
