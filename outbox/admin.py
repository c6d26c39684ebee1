from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "task", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("task",)
    readonly_fields = ("task", "args", "created_at", "sent_at", "attempts", "last_error")

    # A message is written only in the transaction of the save it follows and
    # removed only by the relay: an added one would run any task, a deleted one
    # would drop a save's follow-up work (issue 13, finding 11).
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
