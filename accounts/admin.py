"""The admin site: what a system administrator administers (issue 13, finding 1).

A system administrator is not a Django superuser. By role, not by Django
permissions, they get users, services, teams, supervision assignments and API
tokens (view and revoke), and nothing clinical: no patient model is
registered, and the export jobs, the outbox, the audit log and the TOTP devices
stay with a Django superuser (a deployment's break-glass account, if it keeps
one). Every user and supervision change goes through accounts/services.py,
audited with before and after values; nobody edits their own role, service,
team, permissions or active state; passwords are never set here, only reset
(the user gets a one-use link by email) and second factors only reset."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError

from . import services
from .models import AccessLog, ApiToken, Role, Service, SupervisionAssignment, Team, User


def is_system_administrator(user) -> bool:
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", None) == Role.SYSTEM_ADMIN))


class SystemAdministratorAccess:
    """Admin permissions by role: a system administrator (or a superuser) views,
    adds and changes; nobody deletes (deactivate a user, end an assignment)."""

    def has_module_permission(self, request):
        return is_system_administrator(request.user)

    def has_view_permission(self, request, obj=None):
        return is_system_administrator(request.user)

    def has_add_permission(self, request):
        return is_system_administrator(request.user)

    def has_change_permission(self, request, obj=None):
        return is_system_administrator(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReferenceDataAccess(SystemAdministratorAccess):
    """Service configuration a system administrator keeps (appointments' working
    hours, clinic templates, reminder lead times): theirs to add, change and
    delete; nothing clinical."""

    def has_delete_permission(self, request, obj=None):
        return is_system_administrator(request.user)


class UserAddForm(forms.ModelForm):
    """A new account has no password typed by the administrator: the user sets
    their own from an emailed one-use link."""

    class Meta:
        model = User
        fields = (
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "band",
            "is_trainee",
            "training_start",
            "service",
            "team",
        )

    def clean_email(self):
        email = self.cleaned_data.get("email", "").strip()
        if not email:
            raise ValidationError("Give the email address the set-password link goes to.")
        return email


ROLE_FIELDS = ("role", "band", "is_trainee", "training_start", "service", "team")


@admin.register(User)
class UserAdmin(SystemAdministratorAccess, BaseUserAdmin):
    list_display = ("username", "first_name", "last_name", "role", "band", "is_trainee", "service", "team", "is_active")
    list_filter = ("role", "is_trainee", "service", "team", "is_active")
    list_select_related = ("service", "team")
    add_form = UserAddForm
    add_fieldsets = (
        (None, {"fields": ("username", "first_name", "last_name", "email")}),
        ("Role and service", {"fields": ROLE_FIELDS}),
    )
    fieldsets = (
        (None, {"fields": ("username",)}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role and service", {"fields": ROLE_FIELDS}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    filter_horizontal = ()
    actions = ["reset_password", "reset_second_factor"]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["is_staff", "last_login", "date_joined"]
        if not request.user.is_superuser:
            readonly.append("is_superuser")
        if obj is not None and obj.pk == request.user.pk:
            readonly += [f for f in services.SELF_PROTECTED_FIELDS if f not in readonly]
        return readonly

    def has_change_permission(self, request, obj=None):
        # A superuser's account is changed by a superuser only.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        # Nobody sets another user's password: reset it, and the user sets their own.
        raise PermissionDenied

    def save_model(self, request, obj, form, change):
        try:
            services.user_admin_save(actor=request.user, user=obj)
        except ValidationError as exc:
            raise PermissionDenied(" ".join(exc.messages)) from exc
        if not change:
            services.user_invite(actor=request.user, user=obj, site_url=request.build_absolute_uri("/"))

    def save_related(self, request, form, formsets, change):
        # No groups or per-user permissions: access follows the role.
        pass

    @admin.action(description="Reset password (the user is emailed a link to set a new one)")
    def reset_password(self, request, queryset):
        done = 0
        for user in queryset:
            if not self.has_change_permission(request, user):
                continue
            services.user_password_reset(actor=request.user, user=user, site_url=request.build_absolute_uri("/"))
            done += 1
        self.message_user(request, f"Password reset for {done} user(s); each was emailed a link.", messages.SUCCESS)

    @admin.action(description="Reset two-factor authentication (new enrolment at next log-in)")
    def reset_second_factor(self, request, queryset):
        done = 0
        for user in queryset:
            if not self.has_change_permission(request, user):
                continue
            services.user_second_factor_reset(actor=request.user, user=user)
            done += 1
        self.message_user(request, f"Two-factor authentication reset for {done} user(s).", messages.SUCCESS)


@admin.register(Service)
class ServiceAdmin(SystemAdministratorAccess, admin.ModelAdmin):
    list_display = ("name", "provider", "ods_code")


@admin.register(Team)
class TeamAdmin(SystemAdministratorAccess, admin.ModelAdmin):
    list_display = ("name", "service")
    list_select_related = ("service",)


@admin.register(SupervisionAssignment)
class SupervisionAssignmentAdmin(SystemAdministratorAccess, admin.ModelAdmin):
    """Who supervises whom decides whose caseloads a supervisor reads: every
    change is audited; an assignment is ended (its end date), never deleted."""

    list_display = ("supervisor", "supervisee", "kind", "started", "ended")
    list_select_related = ("supervisor", "supervisee")
    list_filter = ("kind",)

    def save_model(self, request, obj, form, change):
        services.supervision_assignment_save(actor=request.user, assignment=obj)


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (a database trigger enforces it too)."""

    list_display = ("at", "username", "role", "action", "object_type", "object_id", "ip", "request_id")
    list_filter = ("action", "object_type", "role")
    search_fields = ("username", "object_id", "request_id", "client_request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(SystemAdministratorAccess, admin.ModelAdmin):
    """Tokens are issued with `manage.py api_token_issue` or the user's own page
    (the secret is shown once); here they are seen and revoked, never created
    or read back."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    list_select_related = ("user",)
    search_fields = ("name", "user__username", "prefix")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    exclude = ("digest",)
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.api_token_revoke(token=token)
        self.message_user(request, "Revoked.")
