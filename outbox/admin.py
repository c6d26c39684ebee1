from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("task",)
    readonly_fields = ("task", "args", "created_at", "sent_at", "attempts", "last_error")
