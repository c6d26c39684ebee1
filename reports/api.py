"""Report figures and export jobs over the API, through the reports selectors
and services: service managers (their own service) and system administrators;
404 for everyone else, as on the pages."""

from __future__ import annotations

from datetime import timedelta

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from core import dates

from . import figures, services
from .models import ExportFormat, ExportJob
from .selectors import check_can_report, export_job_get_for_user, report_scope_for_user

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PERIOD = timedelta(days=366 * 5)  # five years: longer periods are several reports


class ReportQuerySerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="First day of the period (inclusive).")
    date_to = serializers.DateField(help_text="Last day of the period (inclusive).")
    team = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    service = serializers.IntegerField(
        required=False, min_value=1, max_value=2**31 - 1, help_text="System administrators choose the service."
    )

    def validate(self, attrs):
        first, last = dates.REPORT  # the web report and export forms' bound too
        if not first <= attrs["date_from"] <= attrs["date_to"] <= last:
            raise serializers.ValidationError(
                {"date_to": f"Give a period from {first.year} to {last.year}, date_from first."}
            )
        if attrs["date_to"] - attrs["date_from"] > MAX_PERIOD:
            raise serializers.ValidationError({"date_to": "A report covers at most five years."})
        return attrs

    def filters(self) -> dict:
        data = self.validated_data
        return {
            "service_id": data.get("service"),
            "team_id": data.get("team"),
            "date_from": data["date_from"],
            "date_to": data["date_to"],
        }


ReportSerializer = inline_serializer(
    "ServiceReport",
    fields={
        "service": serializers.IntegerField(),
        "team": serializers.IntegerField(allow_null=True),
        "date_from": serializers.DateField(),
        "date_to": serializers.DateField(),
        "total": inline_serializer(
            "ReportCounts",
            fields={name: serializers.IntegerField() for name in figures.COUNTS},
        ),
        "rates": inline_serializer(
            "ReportRates",
            fields={
                "at_caseness": serializers.IntegerField(),
                **{
                    name: serializers.FloatField(allow_null=True)
                    for name in (
                        "recovery_rate",
                        "reliable_recovery_rate",
                        "reliable_improvement_rate",
                        "reliable_deterioration_rate",
                        "within_6_weeks_rate",
                        "within_18_weeks_rate",
                        "second_over_28_rate",
                        "second_over_90_rate",
                        "self_referral_rate",
                        "no_change_rate",
                        "finished_unpaired_rate",
                        "open_no_contact_rate",
                    )
                },
            },
        ),
        "standards": serializers.DictField(child=serializers.JSONField()),
    },
)


class ServiceReportView(APIView):
    """The service report's referral figures: counts (received, entered
    treatment, finished, recovered, reliably improved...) and the national
    rates, computed by reports/figures.py exactly as the report page shows them."""

    @extend_schema(
        summary="Service report figures for a period", parameters=[ReportQuerySerializer], responses=ReportSerializer
    )
    def get(self, request):
        check_can_report(request.user)
        query = ReportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        scope = report_scope_for_user(user=request.user, filters=query.filters())
        counts = figures.referral_counts(scope)["total"]
        return Response(
            {
                "service": scope.service.pk,
                "team": scope.team.pk if scope.team else None,
                "date_from": scope.date_from,
                "date_to": scope.date_to,
                "total": counts,
                "rates": figures.outcome_rates(counts),
                "standards": {k: list(v) if isinstance(v, tuple) else v for k, v in figures.NATIONAL_STANDARDS.items()},
            }
        )


class ExportJobSerializer(serializers.ModelSerializer):
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "requested_at",
            "filters",
            "format",
            "identifiable",
            "reason",
            "status",
            "rows_total",
            "rows_written",
            "progress_percent",
            "error",
            "started_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields


class ExportRequestSerializer(ReportQuerySerializer):
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    identifiable = serializers.BooleanField(required=False, default=False)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class ExportJobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Exports run by a Celery worker; only the person who asked sees or downloads one."""

    serializer_class = ExportJobSerializer
    queryset = ExportJob.objects.none()  # for the schema's path type; get_queryset scopes it
    http_method_names = ["get", "post", "head", "options"]
    ordering_fields = ["requested_at"]
    ordering = ["-requested_at", "id"]

    def get_queryset(self):
        check_can_report(self.request.user)
        return ExportJob.objects.filter(requested_by=self.request.user)

    def get_object(self):
        return export_job_get_for_user(user=self.request.user, job_id=self.kwargs["pk"])

    @extend_schema(
        summary="Queue an export (pseudonymised by default; identifiable needs the permission and a reason)",
        request=ExportRequestSerializer,
        responses={201: ExportJobSerializer},
    )
    def create(self, request, *args, **kwargs):
        check_can_report(request.user)
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        scope = report_scope_for_user(user=request.user, filters=serializer.filters())
        data = serializer.validated_data
        job = services.export_job_request(
            user=request.user,
            scope=scope,
            fmt=data["format"],
            identifiable=data["identifiable"],
            reason=data["reason"],
        )
        return Response(ExportJobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download a finished export (audited); 400 while it is not ready or after it expired",
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, XLSX_TYPE): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        handle = services.export_job_file(user=request.user, job=job)
        content_type = "text/csv" if job.format == ExportFormat.CSV else XLSX_TYPE
        response = FileResponse(handle, as_attachment=True, filename=job.filename, content_type=content_type)
        response["Cache-Control"] = "no-store"
        return response
