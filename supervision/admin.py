"""The service's duty worker, kept by the system administrator in the admin site
(accounts/admin.py ReferenceDataAccess: by role, nothing clinical)."""

from django.contrib import admin

from accounts.admin import ReferenceDataAccess

from .models import DutyWorker


@admin.register(DutyWorker)
class DutyWorkerAdmin(ReferenceDataAccess, admin.ModelAdmin):
    list_display = ("service", "user")
    list_select_related = ("service", "user")
