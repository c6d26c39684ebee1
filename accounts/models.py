import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .capacity import caseload_capacity


class Role(models.TextChoices):
    PWP = "pwp", "Psychological Wellbeing Practitioner"
    HIT = "hit", "High-intensity therapist"
    SUPERVISOR = "supervisor", "Supervisor"
    SERVICE_MANAGER = "manager", "Service manager"
    REFERRAL_ADMIN = "referral_admin", "Referral administrator"
    SYSTEM_ADMIN = "system_admin", "System administrator"


CLINICAL_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR})


class Service(models.Model):
    """A Talking Therapies service; one provider may run several."""

    name = models.CharField(max_length=200)
    provider = models.CharField(max_length=200)
    ods_code = models.CharField("ODS code", max_length=10, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Team(models.Model):
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["service__name", "name"]
        constraints = [models.UniqueConstraint(fields=["service", "name"], name="team_unique_name_per_service")]

    def __str__(self):
        return f"{self.service} / {self.name}"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PWP)
    band = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Agenda for Change band (4, 5, 6, 7...)")
    is_trainee = models.BooleanField(default=False)
    training_start = models.DateField(null=True, blank=True)
    service = models.ForeignKey(Service, null=True, blank=True, on_delete=models.PROTECT, related_name="staff")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="members")

    objects = UserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(band__isnull=True) | Q(band__gte=1, band__lte=9), name="user_band_range"
            ),
            models.CheckConstraint(
                condition=Q(is_trainee=False) | Q(training_start__isnull=False),
                name="user_trainee_has_training_start",
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.username

    @property
    def is_clinician(self) -> bool:
        return self.role in CLINICAL_ROLES

    def capacity(self, on=None) -> int:
        on = on or timezone.localdate()
        return caseload_capacity(is_trainee=self.is_trainee, training_start=self.training_start, on=on)


class SupervisionKind(models.TextChoices):
    CASE_MANAGEMENT = "case_management", "Case-management supervision"
    CLINICAL_SKILLS = "clinical_skills", "Clinical-skills supervision"


class SupervisionAssignmentQuerySet(models.QuerySet):
    def current(self, on=None):
        on = on or timezone.localdate()
        return self.filter(Q(ended__isnull=True) | Q(ended__gte=on), started__lte=on)


class SupervisionAssignment(models.Model):
    """Who supervises whom, from when to when: the supervision relationship that
    gives a supervisor access to a supervisee's caseload."""

    supervisor = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervisee_assignments")
    supervisee = models.ForeignKey(User, on_delete=models.PROTECT, related_name="supervisor_assignments")
    kind = models.CharField(max_length=20, choices=SupervisionKind.choices, default=SupervisionKind.CASE_MANAGEMENT)
    started = models.DateField()
    ended = models.DateField(null=True, blank=True)

    objects = SupervisionAssignmentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(supervisor=models.F("supervisee")), name="supervision_not_self"),
            models.CheckConstraint(
                condition=Q(ended__isnull=True) | Q(ended__gte=models.F("started")), name="supervision_dates_ordered"
            ),
        ]
        indexes = [models.Index(fields=["supervisor", "kind"])]

    def __str__(self):
        return f"{self.supervisor} supervises {self.supervisee}"


class AccessAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    CREATE = "create", "Created"
    UPDATE = "update", "Updated"
    DELETE = "delete", "Deleted"
    SEARCH = "search", "Searched"
    EXPORT = "export", "Exported"
    PURGE = "purge", "Purged"


class AccessLog(models.Model):
    """Who touched which patient record, when, from where. Never clinical content.

    Append-only: a database trigger (migration 0002) refuses UPDATE and DELETE."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(User, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=20)
    action = models.CharField(max_length=10, choices=AccessAction.choices)
    object_type = models.CharField(max_length=50)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.UUIDField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    # The server's own id for the request (RequestContextMiddleware); a client's
    # X-Request-ID, when it sent a well-formed one, is kept apart and never trusted.
    request_id = models.CharField(max_length=64, blank=True)
    client_request_id = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # "who read this record" finds the list pages that showed a patient (detail @> ...)
            GinIndex(fields=["detail"], opclasses=["jsonb_path_ops"], name="accesslog_detail_gin"),
        ]

    def __str__(self):
        return f"{self.at:%d/%m/%Y %H:%M} {self.username} {self.action} {self.object_type} {self.object_id}"


class AccessLogPatient(models.Model):
    """The manifest of an access-log entry that disclosed more patients than its
    detail should carry (an export of 100,000 referrals): one row per patient,
    written set-based with the entry (accounts/audit.py), read by "who read this
    record" by patient. Append-only like the log (migration 0005)."""

    pk = models.CompositePrimaryKey("patient_id", "access_log_id")
    patient_id = models.UUIDField()
    access_log = models.ForeignKey(AccessLog, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    def __str__(self):
        return f"{self.access_log_id}: {self.patient_id}"


def new_request_id() -> str:
    return uuid.uuid4().hex


class UserSession(models.Model):
    """Which sessions belong to which user, so that logging out or changing the
    password can end the user's other sessions (ASVS 3.3.1, 3.3.3). The row
    goes with its session (CASCADE), so clearsessions keeps this table clean."""

    session = models.OneToOneField("sessions.Session", primary_key=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.user} since {self.created_at:%d/%m/%Y %H:%M}"


class ApiToken(models.Model):
    """A user's token for the REST API. Only the SHA-256 digest of the secret is
    stored; the secret is shown once, when issued. Revoking keeps the row (who
    had a token, and when it stopped working, stay on record)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. the integration's name")
    prefix = models.CharField(max_length=12, help_text="The first characters of the secret, to tell tokens apart")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="The token stops working at this time; empty means until revoked"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
