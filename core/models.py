from django.conf import settings
from django.db import models
from django.utils import timezone


class FormSubmission(models.Model):
    """A one-time form token, claimed by the POST that saves its form
    (core/once.py). The primary key makes a second claim of the same token wait
    for the first transaction and then find it, so a double submit saves once."""

    token = models.UUIDField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # Where the saved record is shown: a repeated submit is sent there.
    redirect_to = models.CharField(max_length=500, blank=True)

    def __str__(self):
        return f"Form submitted {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"
