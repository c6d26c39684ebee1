from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A Celery task to publish, written in the same transaction as the change
    that needs it, so a broker outage delays the follow-up work but never loses it
    (docs/decisions/006-reliability.md). Arguments are ids only: never patient data."""

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["id"], condition=Q(sent_at__isnull=True), name="outbox_unsent_idx")]

    def __str__(self):
        return f"{self.task} ({'sent' if self.sent_at else 'waiting'})"
