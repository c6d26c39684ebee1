from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are made by the export service and swept by expiry."""

    list_display = ("requested_at", "requested_by", "format", "identifiable", "status", "rows_written", "expires_at")
    list_filter = ("status", "format", "identifiable")
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
