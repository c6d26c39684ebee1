from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone


class StepChangeKind(models.TextChoices):
    ALLOCATION = "allocation", "Step decision at assessment"
    STEP_UP = "step_up", "Step up"
    STEP_DOWN = "step_down", "Step down"
    DISCHARGE = "discharge", "Discharge"


class StepChangeStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed, awaiting supervisor"
    CONFIRMED = "confirmed", "Confirmed"
    DECLINED = "declined", "Declined"


class StepChange(models.Model):
    """Step history (DOMAIN.md "Stepped care"): every allocation and step change
    with date, reason, who proposed and who confirmed."""

    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="step_changes")
    kind = models.CharField(max_length=20, choices=StepChangeKind.choices)
    status = models.CharField(max_length=20, choices=StepChangeStatus.choices, default=StepChangeStatus.PROPOSED)
    from_step = models.PositiveSmallIntegerField(null=True, blank=True)
    to_step = models.PositiveSmallIntegerField(null=True, blank=True)
    effective_on = models.DateField()
    reason = models.TextField()
    end_code = models.CharField(max_length=2, blank=True)
    exclusions = ArrayField(models.CharField(max_length=20), default=list, blank=True)
    override_reason = models.TextField(blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # Who held the case when the change was confirmed, and who holds it after: the
    # "where did it go" page and the previous holder's "recently moved" list (issue 16).
    from_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["proposed_at"]
        indexes = [
            models.Index(
                fields=["from_practitioner", "decided_at"],
                condition=Q(status="confirmed"),
                name="stepchange_moved_from_idx",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(to_step__isnull=True) | Q(to_step__in=[1, 2, 3]), name="stepchange_to_step_range"
            ),
            models.CheckConstraint(
                condition=Q(status=StepChangeStatus.PROPOSED) | Q(decided_at__isnull=False),
                name="stepchange_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(kind=StepChangeKind.DISCHARGE) | ~Q(end_code=""), name="stepchange_discharge_has_end_code"
            ),
            # At most one open proposal per referral: the supervisor decides one at a time.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status=StepChangeStatus.PROPOSED),
                name="stepchange_one_open_proposal",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.get_status_display()})"
