"""Reads a user makes of reports and exports, with the access rule: only service
managers (their own service) and system administrators (any service) see
reports and export; anyone else gets 404, not 403 (no enumeration)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.http import Http404

from accounts.models import Role, Service, Team, User

from .models import ExportJob

REPORT_ROLES = frozenset({Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN})
IDENTIFIABLE_PERMISSION = "reports.export_identifiable"


@dataclass(frozen=True)
class ReportScope:
    """What a report or export covers: a service, optionally one team, and an
    inclusive date range."""

    service: Service
    team: Team | None
    date_from: date
    date_to: date
    label: str = ""

    def filters(self) -> dict:
        """Plain values for the audit log and for a job's filters."""
        return {
            "service_id": self.service.pk,
            "team_id": self.team.pk if self.team else None,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "label": self.label,
        }


def check_can_report(user: User) -> None:
    if not getattr(user, "is_authenticated", False) or not user.is_active or user.role not in REPORT_ROLES:
        raise Http404("No such page")


def can_export_records(user: User) -> bool:
    """Record-level exports (CSV, and the XLSX workbook's records), even
    pseudonymised, are for service managers: birth year, sex, ethnicity, dates
    and scores of each referral are personal data. The system administrator,
    who holds no relationship to any patient (DOMAIN.md "Who uses it"), sees
    the aggregated report only (issue 13 finding 5)."""
    return bool(getattr(user, "is_active", False) and user.role == Role.SERVICE_MANAGER)


def can_export_identifiable(user: User) -> bool:
    """Identifiable exports need the permission, and a relationship to the
    patients: a system administrator holds none (DOMAIN.md "Who uses it"),
    so even a superuser administrator cannot make one."""
    return user.role == Role.SERVICE_MANAGER and user.has_perm(IDENTIFIABLE_PERMISSION)


def report_scope_for_user(*, user: User, filters: dict) -> ReportScope:
    """The scope a user may report on, from filters (service_id, team_id,
    date_from, date_to as dates or ISO strings). 404 outside the user's reach."""
    check_can_report(user)
    service_id = filters.get("service_id")
    if user.role == Role.SERVICE_MANAGER:
        if user.service_id is None or (service_id and str(service_id) != str(user.service_id)):
            raise Http404("No such service")
        service_id = user.service_id
    try:
        if service_id:
            service = Service.objects.get(pk=service_id)
        else:
            service = Service.objects.order_by("name", "pk")[:1].get()
    except (Service.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such service") from exc
    team = None
    if filters.get("team_id"):
        try:
            team = Team.objects.get(pk=filters["team_id"], service=service)
        except (Team.DoesNotExist, ValueError, TypeError) as exc:
            raise Http404("No such team") from exc
    date_from, date_to = _as_date(filters["date_from"]), _as_date(filters["date_to"])
    if date_to < date_from:
        raise Http404("Empty period")
    return ReportScope(service=service, team=team, date_from=date_from, date_to=date_to, label=filters.get("label", ""))


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def export_job_get_for_user(*, user: User, job_id) -> ExportJob:
    """Only the person who asked for an export sees it or downloads it."""
    check_can_report(user)
    try:
        return ExportJob.objects.get(pk=job_id, requested_by=user)
    except (ExportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such export") from exc


def export_jobs_for_user(*, user: User, limit: int = 5):
    check_can_report(user)
    return ExportJob.objects.filter(requested_by=user).order_by("-requested_at")[:limit]
