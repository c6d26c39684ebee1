"""A one-time link to the questionnaires due before an appointment (issue 20
item 3; DOMAIN.md "Patients taking part")."""

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

MAX_DOB_ATTEMPTS = 3


class LinkKind(models.TextChoices):
    BOOKED = "booked", "When the appointment was booked"
    DAY_BEFORE = "day_before", "The day before the appointment"


class QuestionnaireLink(models.Model):
    """One link sent for one appointment. The token is never stored: only its
    SHA-256 (questionnaires/tokens.py). Usable until the appointment ends, once,
    and locked after MAX_DOB_ATTEMPTS wrong dates of birth. `answers` holds the
    patient's answers page by page until they submit (instrument code -> items);
    the submitted scores are MeasureScore rows outside a contact (IDS606)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.CASCADE, related_name="questionnaire_links"
    )
    referral = models.ForeignKey("patients.Referral", on_delete=models.PROTECT, related_name="questionnaire_links")
    kind = models.CharField(max_length=12, choices=LinkKind.choices)
    channel = models.CharField(max_length=5)  # "sms" or "email": the consented channel it went by
    token_hash = models.CharField(max_length=64, unique=True)
    instruments = ArrayField(models.CharField(max_length=10))  # the measures due, in order
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    notify_id = models.CharField(max_length=64, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # One link per appointment and moment (claimed by insert: a task run twice sends once).
            models.UniqueConstraint(fields=["appointment", "kind"], name="questionnaire_link_once_per_kind"),
            models.CheckConstraint(condition=Q(failed_attempts__lte=MAX_DOB_ATTEMPTS), name="questionnaire_attempts"),
        ]

    def __str__(self):
        return f"Questionnaire link ({self.get_kind_display()})"

    def usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.locked_at is None and self.expires_at > now
