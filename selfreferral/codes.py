"""The self-referral form's own answer codes (issue 20). National codes come from
patients/codes.py (Sex for stated gender, Ethnicity); these are the form's.
No Django model imports beyond TextChoices."""

from django.db import models


class Channel(models.TextChoices):
    """How the service may contact the person (issue 20 item 1)."""

    SMS = "sms", "Text message"
    EMAIL = "email", "Email"
    VOICEMAIL = "voicemail", "Voicemail"
    LETTER = "letter", "Letter"


class Duration(models.TextChoices):
    """How long the problem has lasted, in the person's terms."""

    UNDER_3_MONTHS = "lt3m", "Less than 3 months"
    UNDER_1_YEAR = "lt1y", "3 to 12 months"
    UNDER_5_YEARS = "lt5y", "1 to 5 years"
    OVER_5_YEARS = "gt5y", "More than 5 years"


class Status(models.TextChoices):
    NEW = "new", "Waiting for a decision"
    ACCEPTED = "accepted", "Accepted as a new patient"
    MERGED = "merged", "Added to an existing patient"
    REJECTED = "rejected", "Rejected"


class RejectReason(models.TextChoices):
    """Why staff turn a self-referral away; `messaged` says whether the person is told."""

    DUPLICATE = "duplicate", "A duplicate of a referral already received"
    OUT_OF_AREA = "out_of_area", "Not registered with a GP in the service's area"
    NOT_SUITABLE = "not_suitable", "Not suitable for this service: signposted elsewhere"
    NOT_GENUINE = "not_genuine", "Not a genuine referral (test or nuisance)"


# Reasons after which the person is never written to (there is nobody real to tell).
SILENT_REJECT_REASONS = frozenset({RejectReason.NOT_GENUINE})


class MessageStatus(models.TextChoices):
    NONE = "none", "No message"
    PENDING = "pending", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent to GOV.UK Notify"
    FAILED = "failed", "Refused by GOV.UK Notify"
    NOT_CONFIGURED = "not_configured", "Not sent: messaging not configured"
    NO_CHANNEL = "no_channel", "Not sent: no text or email consented"
