from django.contrib import admin

from .models import ClinicTemplate, ReminderLeadTime, WorkingHours


@admin.register(ReminderLeadTime)
class ReminderLeadTimeAdmin(admin.ModelAdmin):
    list_display = ("service", "minutes_before")


@admin.register(WorkingHours)
class WorkingHoursAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "weekday", "start_time", "end_time")


@admin.register(ClinicTemplate)
class ClinicTemplateAdmin(admin.ModelAdmin):
    list_display = ("practitioner", "name", "weekday", "start_time", "slot_minutes", "slot_count")
