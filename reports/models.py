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
    heartbeat_at = models.DateTimeField(
        null=True, blank=True, help_text="Written every few seconds while a worker runs the job (reports/services.py)"
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Runs started, reruns included")
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


class ReferralOutcome(models.Model):
    """The contact and measure summary of one referral, exactly what the `c`
    and `m` LATERALs of reports/sql.py compute, stored so the service report
    aggregates one row a referral instead of its sessions and measures.
    Caseness, reliable change and recovery stay computed at read time from
    these columns, so a change of thresholds flows through at once.

    Kept by reports/outcome_summary.py from reports_outcomequeue, which
    database triggers fill on every write to sessions, measures and a
    referral's problem descriptor (migration 0002; docs/decisions/008)."""

    referral = models.OneToOneField("patients.Referral", primary_key=True, on_delete=models.CASCADE, related_name="+")
    appointments = models.IntegerField()
    attended_contacts = models.IntegerField()
    treatment_sessions = models.IntegerField()
    dna_count = models.IntegerField()
    assessed_on = models.DateField(null=True)
    first_treatment_on = models.DateField(null=True)
    second_treatment_on = models.DateField(null=True)
    # The last attended treatment appointment: the "open, no contact for over
    # 90 days" figure (issue 14; NHS England's TherapySession_LastDate).
    last_treatment_on = models.DateField(null=True)
    phq_first = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    phq_last = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    phq_scores = models.IntegerField()
    gad_first = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    gad_last = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    gad_scores = models.IntegerField()
    adsm = models.CharField(max_length=10, null=True)  # NULL: no ADSM score, as in the SELECT
    adsm_first = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    adsm_last = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    adsm_scores = models.IntegerField()

    def __str__(self):
        return f"Outcome summary of referral {self.referral_id}"


class OutcomeQueue(models.Model):
    """Referrals whose outcome summary is out of date. Filled by statement-level
    triggers in the writer's own transaction; drained by the refresh. No unique
    index and no foreign key: a writer never waits on a running refresh."""

    id = models.BigAutoField(primary_key=True)
    referral_id = models.UUIDField()

    class Meta:
        indexes = [models.Index(fields=["referral_id", "id"], name="outcomequeue_referral_idx")]

    def __str__(self):
        return f"Queued outcome refresh {self.referral_id}"


class OutcomeDefinition(models.Model):
    """The fingerprint of the SQL and national codes the stored outcome
    summaries were computed with (one row). When a release changes them, the
    beat refresh queues every referral again (reports/outcome_summary.py)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    fingerprint = models.CharField(max_length=64)
    changed_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Outcome summary definition {self.fingerprint[:12]}"
