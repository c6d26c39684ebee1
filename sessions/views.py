import uuid

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.models import Role
from core.once import submit_once
from patients import selectors as patient_selectors
from patients.selectors import audit_list

from . import selectors, services
from .charts import measure_series
from .forms import AmendmentForm, AssessmentForm, CaseloadFilterForm, RiskEventForm, SessionForm, StepProposalForm

CLINICAL_ROLES = (Role.PWP, Role.HIT, Role.SUPERVISOR)


def _clinical_referral(request, referral_id, **options):
    """The referral, if this user holds a clinical relationship to it (404 otherwise:
    referral administrators see no clinical notes)."""
    if request.user.role not in CLINICAL_ROLES + (Role.SERVICE_MANAGER,):
        raise Http404
    return patient_selectors.referral_get_for_user(user=request.user, referral_id=referral_id, **options)


def _page_request(query) -> tuple[int, bool]:
    """The page asked for (?page=N, 1 if absent or not a number) and whether every
    case is asked for on one page (?all=1)."""
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        page = 1
    return max(1, min(page, 10_000)), query.get("all") == "1"


def caseload(request):
    if request.user.role not in CLINICAL_ROLES:
        raise Http404
    form = CaseloadFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page_number, show_all = _page_request(request.GET)
    page = selectors.caseload_for_user(
        user=request.user,
        filters=filters,
        sort=filters.get("sort") or "risk",
        page=page_number,
        page_size=None if show_all else selectors.CASELOAD_PAGE_SIZE,
    )
    audit_list(user=request.user, object_type="caseload", rows=page.rows)
    capacity = request.user.capacity()
    filtered = any(filters.get(k) for k in ("step", "problem_descriptor", "risk_only", "overdue_only"))
    # The record link of each row, built from one reverse() (a reverse per row
    # was a tenth of the page's time at 250 rows).
    record_url = reverse("sessions:record", args=[_URL_PLACEHOLDER]).replace(str(_URL_PLACEHOLDER), "{}")
    for row in page.rows:
        row.record_url = record_url.format(row.pk)
    return render(
        request,
        "sessions/caseload.html",
        {
            "form": form,
            "page": page,
            "rows": page.rows,
            "capacity": capacity,
            "open_cases": None if filtered else page.total,
            "show_all": show_all,
            "page_numbers": range(1, page.pages + 1),
            "page_size": selectors.CASELOAD_PAGE_SIZE,
            "is_trainee": request.user.is_trainee,
        },
    )


_URL_PLACEHOLDER = uuid.UUID(int=0)


def referral_record(request, referral_id):
    referral = _clinical_referral(request, referral_id)
    record = selectors.record_for_user(user=request.user, referral=referral)
    return render(
        request,
        "sessions/record.html",
        {
            "referral": referral,
            "patient": referral.patient,
            **record,
            "amendments": list(referral.amendments.select_related("recorded_by")),
            "chart_series": measure_series(record["sessions"]),
            "can_record": referral.is_open and request.user.role in CLINICAL_ROLES,
        },
    )


def _session_form_view(request, referral_id, *, form_class, template, service, extra_context=None):
    """A POST is one transaction: the referral read under its row lock (so the
    service need not read it again), the audit of that read, the form's one-time
    token (core/once.py: a double submit saves once), the session with its
    measures and the outbox message commit together, once. A form with errors
    commits the read's audit alone and shows what was typed."""
    posted = request.method == "POST"
    with transaction.atomic():
        # The page shows the patient (header); a POST that saves shows nothing, so
        # it reads the referral row alone and a form with errors loads the patient.
        referral = _clinical_referral(request, referral_id, for_update=posted, related=() if posted else ("patient",))
        if not referral.is_open:
            messages.error(request, "This referral has ended: the record is read-only except for a recorded amendment.")
            return redirect("sessions:record", referral.pk)
        form = form_class(request.POST or None, referral=referral)
        if posted:
            record_url = reverse("sessions:record", args=[referral.pk])

            def save():
                service(request, referral, form)
                return record_url

            done = submit_once(request, form, save=save, success="Session saved.", redirect_to=record_url)
            if done is not None:
                return done
    return render(
        request,
        template,
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "instrument_config": form.instrument_config(),
            **(extra_context or {}),
        },
    )


def session_create(request, referral_id):
    def save(request, referral, form):
        services.therapy_session_record(
            user=request.user, referral=referral, referral_locked=True, **form.service_kwargs()
        )

    return _session_form_view(
        request, referral_id, form_class=SessionForm, template="sessions/session_form.html", service=save
    )


def assessment_create(request, referral_id):
    def save(request, referral, form):
        data = form.cleaned_data
        services.assessment_record(
            user=request.user,
            referral=referral,
            problem_descriptor=data["problem_descriptor"],
            step=data["step"],
            step_reason=data["step_reason"],
            exclusions=data["exclusions"],
            override_reason=data["override_reason"],
            **form.service_kwargs(),
        )

    from stepped_care.decision_support import MATRIX

    return _session_form_view(
        request,
        referral_id,
        form_class=AssessmentForm,
        template="sessions/assessment_form.html",
        service=save,
        extra_context={"matrix": MATRIX},
    )


def _referral_form_view(request, referral_id, *, form_class, save, title, submit, success):
    """A small form about one referral: validate, call one service (once per
    one-time token, core/once.py), go back to the record."""
    referral = _clinical_referral(request, referral_id)
    form = form_class(request.POST or None)
    if request.method == "POST":
        record_url = reverse("sessions:record", args=[referral.pk])

        def save_and_show():
            save(referral, form)
            return record_url

        done = submit_once(request, form, save=save_and_show, success=success, redirect_to=record_url)
        if done is not None:
            return done
    context = {"form": form, "referral": referral, "patient": referral.patient, "title": title, "submit": submit}
    return render(request, "sessions/simple_form.html", context)


def step_propose(request, referral_id):
    from stepped_care.services import step_change_propose

    return _referral_form_view(
        request,
        referral_id,
        form_class=StepProposalForm,
        save=lambda referral, form: step_change_propose(user=request.user, referral=referral, **form.cleaned_data),
        title="Propose a step change or discharge",
        submit="Record proposal",
        success="Proposal recorded; your supervisor will confirm it in supervision.",
    )


def risk_event_create(request, referral_id):
    return _referral_form_view(
        request,
        referral_id,
        form_class=RiskEventForm,
        save=lambda referral, form: services.risk_event_record(
            user=request.user, referral=referral, risk=form.risk_input()
        ),
        title="Record a risk event",
        submit="Record risk",
        success="Risk recorded; the case is marked for supervision.",
    )


def amendment_create(request, referral_id):
    return _referral_form_view(
        request,
        referral_id,
        form_class=AmendmentForm,
        save=lambda referral, form: services.amendment_record(
            user=request.user, referral=referral, **form.cleaned_data
        ),
        title="Amend an ended record",
        submit="Record amendment",
        success="Amendment recorded.",
    )
