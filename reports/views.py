"""Service report and exports. Thin: validate the input's shape, call one
selector or service, render. Other roles get 404 from the selectors."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponseNotAllowed, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from . import exports, figures, services
from .forms import ExportForm, ReportFilterForm
from .models import ExportFormat
from .selectors import (
    can_export_identifiable,
    can_export_records,
    check_can_report,
    export_job_get_for_user,
    export_jobs_for_user,
    report_scope_for_user,
)

FILTER_FIELDS = ("period", "month", "date_from", "date_to", "service", "team")


def _filter_form(request, data):
    form = ReportFilterForm(data or None, user=request.user)
    if not form.is_bound or not form.is_valid():
        errors = form.errors if form.is_bound else None
        form = ReportFilterForm(form.default_data(), user=request.user)
        form.is_valid()
        for field, messages_ in (errors or {}).items():  # what was wrong, beside the defaults used instead
            for message in messages_:
                form.add_error(None if field == "__all__" else field, message)
    return form


def _filename(scope, *, fmt: str, identifiable: bool) -> str:
    kind = "identifiable" if identifiable else "pseudonymised"
    team = f"-{scope.team.pk}" if scope.team else ""
    return f"talking-therapies-{scope.service.ods_code}{team}-{scope.date_from}-to-{scope.date_to}-{kind}.{fmt}"


def _chart_data(report) -> dict:
    standards = report.standards
    return {
        "labels": [m["label"] for m in report.trend],
        "received": [m["received"] for m in report.trend],
        "enteredTreatment": [m["entered_treatment"] for m in report.trend],
        "recoveryRate": [_percent(m["recovery_rate"]) for m in report.trend],
        "within6Weeks": [_percent(m["within_6_weeks"]) for m in report.trend],
        "within18Weeks": [_percent(m["within_18_weeks"]) for m in report.trend],
        "standards": {
            "recoveryRate": _percent(standards["recovery_rate"]),
            "within6Weeks": _percent(standards["within_6_weeks"]),
            "within18Weeks": _percent(standards["within_18_weeks"]),
        },
    }


def _percent(value):
    return None if value is None else round(100 * value, 1)


# Each view checks access before the method, so anyone outside the reports
# roles gets 404 whatever they send.


def service_report(request):
    check_can_report(request.user)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    form = _filter_form(request, request.GET)
    scope = report_scope_for_user(user=request.user, filters=form.filters())
    report = figures.service_report(scope)
    query = urlencode({k: v for k, v in request.GET.items() if k in FILTER_FIELDS})
    return render(
        request,
        "reports/service_report.html",
        {
            "form": form,
            "report": report,
            "scope": scope,
            "chart_data": _chart_data(report),
            "export_form": ExportForm(),
            "can_export_identifiable": can_export_identifiable(request.user),
            "can_export_records": can_export_records(request.user),
            "jobs": export_jobs_for_user(user=request.user),
            "query": query,
            "filter_data": {k: form.data.get(k) for k in FILTER_FIELDS if form.data.get(k)},
            "kind_labels": exports.KIND_LABELS,
            "equality_tables": [
                ("Age at referral", report.equality["age_band"], "age"),
                ("Sex", report.equality["sex"], "sex"),
                ("Ethnic group", report.equality["ethnic_group"], "ethnicity"),
            ],
        },
    )


def export(request):
    check_can_report(request.user)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = ReportFilterForm(request.POST, user=request.user)
    export_form = ExportForm(request.POST)
    back = (
        reverse("reports:service_report")
        + "?"
        + urlencode({k: v for k, v in request.POST.items() if k in FILTER_FIELDS})
    )
    if not form.is_valid() or not export_form.is_valid():
        for errors in (*form.errors.values(), *export_form.errors.values()):
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    scope = report_scope_for_user(user=request.user, filters=form.filters())
    fmt = export_form.cleaned_data["format"]
    identifiable = export_form.cleaned_data["identifiable"]
    reason = export_form.cleaned_data["reason"]
    try:
        job = services.export_start(user=request.user, scope=scope, fmt=fmt, identifiable=identifiable, reason=reason)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return redirect(back)
    if job is not None:
        messages.info(request, f"The export of {job.rows_total:,} referrals is being prepared.")
        return redirect("reports:export_job", job.pk)
    filename = _filename(scope, fmt=fmt, identifiable=identifiable)
    if fmt == ExportFormat.CSV:
        records = exports.iter_records(scope, identifiable=identifiable)
        response = StreamingHttpResponse(
            exports.csv_chunks(records, identifiable=identifiable), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        handle = services.xlsx_temporary_file(user=request.user, scope=scope, identifiable=identifiable)
        response = FileResponse(
            handle,
            as_attachment=True,
            filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Cache-Control"] = "no-store"
    return response


def export_job(request, job_id):
    job = export_job_get_for_user(user=request.user, job_id=job_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    return render(request, "reports/export_job.html", {"job": job})


def export_job_status(request, job_id):
    job = export_job_get_for_user(user=request.user, job_id=job_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    available = job.status == "done" and not job.is_expired
    return JsonResponse(
        {
            "status": job.status,
            "statusLabel": job.get_status_display() if not (job.is_expired and job.status == "done") else "Expired",
            "rowsWritten": job.rows_written,
            "rowsTotal": job.rows_total,
            "percent": job.progress_percent,
            "downloadUrl": reverse("reports:export_job_download", args=[job.pk]) if available else None,
        }
    )


def export_job_download(request, job_id):
    job = export_job_get_for_user(user=request.user, job_id=job_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        handle = services.export_job_file(user=request.user, job=job)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:export_job", job.pk)
    response = FileResponse(handle, as_attachment=True, filename=job.filename)
    response["Cache-Control"] = "no-store"
    return response


def export_job_retry(request, job_id):
    """ "Try again" on a failed export: a new job with the same choices."""
    job = export_job_get_for_user(user=request.user, job_id=job_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        new_job = services.export_job_retry(user=request.user, job=job)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
        return redirect("reports:export_job", job.pk)
    messages.info(request, "The export is being prepared again.")
    return redirect("reports:export_job", new_job.pk)
