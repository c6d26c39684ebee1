"""An incoming self-referral (issue 20 item 2): what a person sent through the
public form, held apart from the clinical record until staff accept it (a new
patient and referral), merge it (a new referral on a matched patient) or reject
it. A row holds the answers only; the decision links the patient and referral
it made."""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from accounts.models import Service
from patients.codes import Ethnicity, Sex

from .codes import Duration, MessageStatus, RejectReason, Status


class SelfReferral(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="self_referrals")
    # What the person is given on the confirmation page and in the acknowledgement:
    # random (selfreferral/reference.py), not derived from any identifier, not the row id.
    reference = models.CharField(max_length=12, unique=True)
    # A random key drawn when the person opened the form (kept in their session): a
    # second submit of the same form finds this row instead of making another.
    submission_key = models.UUIDField(unique=True)
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    nhs_number = models.CharField("NHS number", max_length=10, blank=True)
    address = models.CharField(max_length=300)
    postcode = models.CharField(max_length=10, help_text="Upper case, one space before the inward code")
    gp_practice_name = models.CharField("GP practice", max_length=200)
    mobile = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True)
    channels = ArrayField(models.CharField(max_length=10), default=list, blank=True)
    problem = models.TextField("the problem in their own words")
    duration = models.CharField(max_length=4, choices=Duration.choices)
    hopes = models.TextField("what they hope for", blank=True)
    # The risk screening answers, {question key: True/False} (selfreferral/forms.py RISK_QUESTIONS).
    risk_answers = models.JSONField(default=dict)
    urgent = models.BooleanField(default=False, help_text="A positive risk answer: urgent for the duty worker")
    stated_gender = models.CharField(max_length=2, choices=Sex.choices, blank=True)
    gender_identity = models.CharField(max_length=100, blank=True)
    ethnicity = models.CharField(max_length=2, choices=Ethnicity.choices, default=Ethnicity.NOT_STATED)
    started_at = models.DateTimeField(help_text="When the person opened the first question")
    submitted_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    reject_reason = models.CharField(max_length=20, choices=RejectReason.choices, blank=True)
    # SET_NULL: the clinical record's purge (accounts/purge.py) is not blocked by these links.
    patient = models.ForeignKey("patients.Patient", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    referral = models.ForeignKey(
        "patients.Referral", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The acknowledgement (after submit) and the reply (after a rejection), through GOV.UK Notify.
    acknowledgement = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.NONE)
    acknowledgement_notify_id = models.CharField(max_length=64, blank=True)
    reply = models.CharField(max_length=20, choices=MessageStatus.choices, default=MessageStatus.NONE)
    reply_notify_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-urgent", "submitted_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(status=Status.NEW) & Q(decided_at__isnull=True))
                | (~Q(status=Status.NEW) & Q(decided_at__isnull=False)),
                name="selfreferral_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status=Status.REJECTED) | ~Q(reject_reason=""),
                name="selfreferral_rejected_has_reason",
            ),
        ]
        indexes = [
            models.Index(
                fields=["service", "-urgent", "submitted_at"],
                condition=Q(status=Status.NEW),
                name="selfreferral_waiting_idx",
            )
        ]

    def __str__(self):
        return f"Self-referral {self.reference}"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
