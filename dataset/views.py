"""Pages of the monthly national submission, for a service manager holding the
submission permission (404 for anyone else)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
from core.forms import apply_validation_error

from . import services, spec
from .forms import ExtractForm
from .models import DatasetExtract
from .validation import QUALITY_FIELDS


def extract_list(request):
    """The service's extracts, newest first, and the form to build a month's. A
    service manager without the submission permission is told how to get it
    (403); anyone else gets 404."""
    if getattr(request.user, "role", None) == Role.SERVICE_MANAGER and not services.can_submit(request.user):
        return render(request, "dataset/no_permission.html", status=403)
    services.check_can_submit(request.user)
    form = ExtractForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        year, month = (int(part) for part in form.cleaned_data["month"].split("-"))
        try:
            extract = services.dataset_extract_request(
                user=request.user,
                year=year,
                month=month,
                kind=form.cleaned_data["kind"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "The extract is being built; this page shows its progress.")
            return redirect("dataset:extract", extract.pk)
    extracts = DatasetExtract.objects.filter(service_id=request.user.service_id).select_related("requested_by")[:24]
    return render(request, "dataset/extract_list.html", {"form": form, "extracts": extracts})


def _link(finding: dict) -> str:
    """Where the record a finding names is fixed: the referral's edit page, or the patient's."""
    if finding.get("referral"):
        return reverse("patients:referral_edit", args=[finding["referral"]])
    if finding.get("patient"):
        return reverse("patients:edit", args=[finding["patient"]])
    return ""


def extract_detail(request, extract_id):
    """Progress, the manifest, the validation report (errors block the
    submission) with a link to fix each record, and the month's completeness
    per field as NHS England's data-quality reports measure it."""
    extract = services.dataset_extract_get_for_user(user=request.user, extract_id=extract_id)
    validation = extract.validation or {}
    findings = [dict(f, link=_link(f)) for f in validation.get("findings", [])]
    completeness = validation.get("completeness", {})
    quality = []
    for label, key in QUALITY_FIELDS.items():
        slot = completeness.get(key, {"filled": 0, "rows": 0})
        percent = round(100 * slot["filled"] / slot["rows"], 1) if slot["rows"] else None
        quality.append({"label": label, "field": key, **slot, "percent": percent})
    return render(
        request,
        "dataset/extract_detail.html",
        {
            "extract": extract,
            "errors": [f for f in findings if f["severity"] == "error"],
            "warnings": [f for f in findings if f["severity"] == "warning"],
            "counts": validation.get("counts", []),
            "quality": quality,
            "tables": extract.manifest.get("tables", []),
            "spec_version": spec.SPEC_VERSION,
        },
    )


def extract_download(request, extract_id):
    extract = services.dataset_extract_get_for_user(user=request.user, extract_id=extract_id)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET"])
    try:
        handle = services.dataset_extract_open(user=request.user, extract=extract)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("dataset:extract", extract.pk)
    response = FileResponse(handle, as_attachment=True, filename=extract.filename)
    response["Cache-Control"] = "no-store"
    return response
