"""The service's appointment configuration, kept by the system administrator in
the admin site (accounts/admin.py ReferenceDataAccess: by role, nothing clinical)."""

from django.contrib import admin

from accounts.admin import ReferenceDataAccess

from .models import ClinicTemplate, ReminderLeadTime, WorkingHours


@admin.register(ReminderLeadTime)
class ReminderLeadTimeAdmin(ReferenceDataAccess, admin.ModelAdmin):
    list_display = ("service", "minutes_before")


@admin.register(WorkingHours)
class WorkingHoursAdmin(ReferenceDataAccess, admin.ModelAdmin):
    list_display = ("practitioner", "weekday", "start_time", "end_time")


@admin.register(ClinicTemplate)
class ClinicTemplateAdmin(ReferenceDataAccess, admin.ModelAdmin):
    list_display = ("practitioner", "name", "weekday", "start_time", "slot_minutes", "slot_count")
