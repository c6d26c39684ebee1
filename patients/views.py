from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
from core.concurrency import VersionConflict
from core.forms import apply_validation_error
from core.once import submit_once

from . import selectors, services
from .forms import (
    PatientEditForm,
    PatientSearchForm,
    PresentingProblemForm,
    ReferralEditForm,
    ReferralFilterForm,
    RegistrationForm,
)

PAGE_SIZE = 50
# Who allocates referrals in the browser (stepped_care.views.allocate; patients.services.referral_allocate).
ALLOCATING_ROLES = (Role.REFERRAL_ADMIN, Role.SERVICE_MANAGER, Role.SUPERVISOR)


def referral_list(request):
    form = ReferralFilterForm(request.GET or None, user=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    qs = selectors.referral_list_for_user(user=request.user, filters=filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    selectors.audit_list(user=request.user, object_type="referral", rows=page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/referral_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "can_register": request.user.role in services.REGISTRATION_ROLES,
            "can_allocate": request.user.role in ALLOCATING_ROLES,
            "search_form": PatientSearchForm(),
        },
    )


def patient_search(request):
    """Search by NHS number or name: the term comes in a POST body only, and the
    results are rendered, not redirected to, so it never reaches a URL."""
    form = PatientSearchForm(request.POST if request.method == "POST" else None)
    patients = None
    if request.method == "POST" and form.is_valid():
        patients = selectors.patient_search_for_user(user=request.user, query=form.cleaned_data["q"])
    return render(request, "patients/search.html", {"form": form, "patients": patients})


def register(request):
    if request.user.role not in services.REGISTRATION_ROLES:
        raise PermissionDenied
    form = RegistrationForm(request.POST or None, user=request.user)
    if request.method == "POST":

        def save():
            referral = services.patient_and_referral_register(
                user=request.user, patient_data=form.patient_data(), referral_data=form.referral_data()
            )
            return reverse("patients:detail", args=[referral.patient_id])

        done = submit_once(request, form, save=save, success="Patient and referral registered.")
        if done is not None:
            return done
    return render(request, "patients/register.html", {"form": form})


def patient_detail(request, patient_id):
    patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
    referrals = list(selectors.patient_referrals_for_user(user=request.user, patient=patient))
    return render(
        request,
        "patients/patient_detail.html",
        {
            "patient": patient,
            "referrals": referrals,
            "show_clinical": request.user.role != Role.REFERRAL_ADMIN,
            "can_edit": request.user.role in services.EDITING_ROLES,
            "can_allocate": request.user.role in ALLOCATING_ROLES,
        },
    )


def _conflict(request, form, exc: VersionConflict, current_version: int | None) -> None:
    """A stale save: say so, keep what was typed, and carry the current version
    so a deliberate second save (after checking) goes through."""
    form.add_error(None, exc.message)
    data = form.data.copy()
    data["version"] = str(current_version if current_version is not None else "")
    form.data = data


def _edit(request, form, *, save, saved: str, patient, title: str):
    """An edit page: the service saves only if nobody saved since the form's
    version was read; a stale save or a refused value re-renders what was typed."""
    if request.user.role not in services.EDITING_ROLES:
        raise PermissionDenied
    if request.method == "POST" and form.is_valid():
        try:
            save(user=request.user, version=form.cleaned_data["version"], **form.changes())
        except VersionConflict as exc:
            _conflict(request, form, exc, exc.current)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, saved)
            return redirect("patients:detail", patient.pk)
    return render(request, "patients/edit.html", {"form": form, "patient": patient, "title": title})


def patient_edit(request, patient_id):
    patient = selectors.patient_get_for_user(user=request.user, patient_id=patient_id)
    return _edit(
        request,
        PatientEditForm(request.POST or None, instance=patient),
        save=partial(services.patient_update, patient=patient),
        saved="Patient details saved.",
        patient=patient,
        title="Edit patient details",
    )


def referral_edit(request, referral_id):
    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    return _edit(
        request,
        ReferralEditForm(request.POST or None, referral=referral),
        save=partial(services.referral_update, referral=referral),
        saved="Referral saved.",
        patient=referral.patient,
        title="Edit referral",
    )


def record_access(request, patient_id):
    """Who read this patient's record: for a service manager of the patient's service."""
    entries = selectors.record_access_for_manager(user=request.user, patient_id=patient_id)
    page = Paginator(entries, settings.ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/record_access.html", {"page": page, "patient_id": patient_id})


def _presenting_problem_referral(request, referral_id):
    """The referral (404 outside a relationship, the read audited) and the
    clinical write rule (403: the practitioner holding the case or their supervisor)."""
    from accounts import policy
    from accounts.policy import WriteAction

    referral = selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    policy.require(WriteAction.SESSION_RECORD, request.user, referral)
    return referral


def presenting_problem_add(request, referral_id):
    """Record a primary or secondary presenting problem (IDS603). A stale save or a
    refused value shows the form again with what was typed."""
    referral = _presenting_problem_referral(request, referral_id)
    form = PresentingProblemForm(request.POST or None, referral=referral)
    if request.method == "POST" and form.is_valid():
        try:
            services.presenting_problem_record(user=request.user, referral=referral, **form.service_kwargs())
        except VersionConflict as exc:
            _conflict(request, form, exc, exc.current)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, "Presenting problem recorded.")
            return redirect("sessions:record", referral.pk)
    return render(
        request,
        "patients/presenting_problem_form.html",
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            **selectors.presenting_problems_for_record(referral),
        },
    )


def presenting_problem_remove(request, referral_id, problem_id):
    """Remove a presenting problem recorded in error (POST only; it stays in the
    history, marked removed)."""
    from django.http import Http404

    referral = _presenting_problem_referral(request, referral_id)
    problem = referral.presenting_problems.filter(pk=problem_id).first()
    if problem is None:
        raise Http404
    if request.method != "POST":
        return redirect("sessions:record", referral.pk)
    try:
        services.presenting_problem_remove(user=request.user, problem=problem, version=request.POST.get("version"))
    except VersionConflict as exc:
        messages.error(request, exc.message)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Presenting problem removed.")
    return redirect("sessions:record", referral.pk)
