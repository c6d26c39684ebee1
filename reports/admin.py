from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are made by the export service and swept by expiry. Not
    for the system administrator role (accounts/admin.py): a Django superuser's
    Django permissions only."""

    list_display = ("requested_at", "requested_by", "format", "identifiable", "status", "rows_written", "expires_at")
    list_filter = ("status", "format", "identifiable")
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # A job row is the record that an export was made (identifiable ones
        # above all); expiry removes the file, never the row (issue 13, finding 11).
        return False
