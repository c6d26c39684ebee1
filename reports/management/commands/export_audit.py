"""Writes the record-level CSV or the report workbook from the command line:

    python manage.py export_audit --service DEMO1 --from 2025-04-01 --to 2026-03-31 \
        --format csv --out audit.csv

The same files as the web exports, streamed the same way, pseudonymised unless
--identifiable is given with --user (who holds the identifiable-export
permission) and --reason. Every run is in the audit log with its filters and
row count.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q
from django.http import Http404

from accounts.models import Service, Team, User
from reports import services
from reports.models import ExportFormat
from reports.selectors import ReportScope, report_scope_for_user


class Command(BaseCommand):
    help = "Export the audit report (record-level CSV or XLSX workbook) for a service and period."

    def add_arguments(self, parser):
        parser.add_argument("--service", required=True, help="Service ODS code or id")
        parser.add_argument("--team", help="Team id or name within the service (default: all teams)")
        parser.add_argument("--from", dest="date_from", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--to", dest="date_to", required=True, type=date.fromisoformat, help="YYYY-MM-DD")
        parser.add_argument("--format", choices=ExportFormat.values, default=ExportFormat.CSV)
        parser.add_argument("--out", required=True, help="File to write")
        parser.add_argument("--user", help="Username the export is made as (and audited as)")
        parser.add_argument("--identifiable", action="store_true", help="Names, NHS number, date of birth")
        parser.add_argument("--reason", default="", help="Why an identifiable export is needed")

    def handle(self, *args, **options):
        if options["date_to"] < options["date_from"]:
            raise CommandError("--to must be on or after --from.")
        service = self._service(options["service"])
        team = self._team(service, options["team"]) if options["team"] else None
        user = None
        if options["user"]:
            try:
                user = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist as exc:
                raise CommandError(f"No active user {options['user']!r}.") from exc
        filters = {
            "service_id": service.pk,
            "team_id": team.pk if team else None,
            "date_from": options["date_from"],
            "date_to": options["date_to"],
            "label": f"{options['date_from']:%d/%m/%Y} to {options['date_to']:%d/%m/%Y}",
        }
        try:
            if user is not None:
                scope = report_scope_for_user(user=user, filters=filters)
            else:
                scope = ReportScope(
                    service=service,
                    team=team,
                    date_from=filters["date_from"],
                    date_to=filters["date_to"],
                    label=filters["label"],
                )
            services.check_export_allowed(user=user, identifiable=options["identifiable"], reason=options["reason"])
        except Http404 as exc:
            raise CommandError(f"{options['user']} cannot report on this service.") from exc
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", None) or [str(exc)])) from exc
        out = Path(options["out"])
        out.parent.mkdir(parents=True, exist_ok=True)
        rows = services.write_export_file(
            path=out,
            scope=scope,
            fmt=options["format"],
            identifiable=options["identifiable"],
            generated_by=user.username if user else "command line",
        )
        services.export_audit_record(
            user=user,
            scope=scope,
            fmt=options["format"],
            identifiable=options["identifiable"],
            reason=options["reason"],
            rows=rows,
            delivery=f"command: {out.name}",
        )
        self.stdout.write(f"Wrote {rows} referral rows to {out}")

    def _service(self, value: str) -> Service:
        lookup = Q(ods_code=value) | (Q(pk=int(value)) if value.isdigit() else Q())
        try:
            return Service.objects.get(lookup)
        except (Service.DoesNotExist, Service.MultipleObjectsReturned) as exc:
            raise CommandError(f"No single service {value!r} (give its ODS code).") from exc

    def _team(self, service: Service, value: str) -> Team:
        lookup = Q(name=value) | (Q(pk=int(value)) if value.isdigit() else Q())
        try:
            return Team.objects.get(lookup, service=service)
        except (Team.DoesNotExist, Team.MultipleObjectsReturned) as exc:
            raise CommandError(f"No single team {value!r} in {service}.") from exc
