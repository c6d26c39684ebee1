from django.contrib import admin

from .models import DutyWorker


@admin.register(DutyWorker)
class DutyWorkerAdmin(admin.ModelAdmin):
    list_display = ("service", "user")
