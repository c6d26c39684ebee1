from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import AccessLog, ApiToken, Service, SupervisionAssignment, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "band", "is_trainee", "service", "team", "is_active")
    list_filter = ("role", "is_trainee", "service", "team", "is_active")
    list_select_related = ("service", "team")
    fieldsets = BaseUserAdmin.fieldsets + (
        ("Role and service", {"fields": ("role", "band", "is_trainee", "training_start", "service", "team")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("Role and service", {"fields": ("role", "band", "is_trainee", "training_start", "service", "team")}),
    )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "provider", "ods_code")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "service")
    list_select_related = ("service",)


@admin.register(SupervisionAssignment)
class SupervisionAssignmentAdmin(admin.ModelAdmin):
    list_display = ("supervisor", "supervisee", "kind", "started", "ended")
    list_select_related = ("supervisor", "supervisee")
    list_filter = ("kind",)


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (a database trigger enforces it too)."""

    list_display = ("at", "username", "role", "action", "object_type", "object_id", "ip", "request_id")
    list_filter = ("action", "object_type", "role")
    search_fields = ("username", "object_id", "request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py api_token_issue` (the secret is shown
    once); here they are seen and revoked, never created or read back."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        from .services import api_token_revoke

        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token)
        self.message_user(request, "Revoked.")
