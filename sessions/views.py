import uuid

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_POST

from accounts.models import Role
from iapt.forms import apply_validation_error
from patients import selectors as patient_selectors
from patients.selectors import audit_list

from . import drafts, selectors, services
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
    session_url = reverse("sessions:session_create", args=[_URL_PLACEHOLDER]).replace(str(_URL_PLACEHOLDER), "{}")
    for row in page.rows:
        row.record_url = record_url.format(row.pk)
        row.session_url = session_url.format(row.pk)
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


def _session_form_view(request, referral_id, *, form_class, template, service, kind, extra_context=None):
    """A POST is one transaction: the referral read under its row lock (so the
    service need not read it again), the audit of that read, the session with
    its measures, the removal of the form's draft and the outbox message commit
    together, once. A form with errors commits the read's audit alone and shows
    what was typed. A form opened with a draft kept (sessions/drafts.py) shows
    the draft and when it was kept."""
    posted = request.method == "POST"
    saved = False
    draft = None
    with transaction.atomic():
        # The page shows the patient (header); a POST that saves shows nothing, so
        # it reads the referral row alone and a form with errors loads the patient.
        referral = _clinical_referral(request, referral_id, for_update=posted, related=() if posted else ("patient",))
        if not referral.is_open:
            messages.error(request, "This referral has ended: the record is read-only except for a recorded amendment.")
            return redirect("sessions:record", referral.pk)
        if posted:
            form = form_class(request.POST, referral=referral)
        else:
            draft = drafts.session_draft_get_for_user(user=request.user, referral=referral, kind=kind)
            initial = None
            if draft is not None:
                prototype = form_class(referral=referral)
                multi = {n for n, f in prototype.fields.items() if isinstance(f, forms.MultipleChoiceField)}
                initial = drafts.initial_from_draft(draft, multi)
            form = form_class(initial=initial, referral=referral)
        if posted and form.is_valid():
            try:
                service(request, referral, form)
                drafts.session_draft_discard(user=request.user, referral=referral, kind=kind, reason="saved")
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                saved = True
    if saved:
        messages.success(request, "Session saved.")
        return redirect("sessions:record", referral.pk)
    can_draft = request.user.role in services.RECORDING_ROLES
    draft_kwargs = {"referral_id": referral.pk, "kind": kind}
    return render(
        request,
        template,
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "instrument_config": form.instrument_config(),
            "error_links": form.error_links() if form.errors else [],
            "draft": draft,
            "opened_at": timezone.now().isoformat(),
            "draft_url": reverse("sessions:draft_save", kwargs=draft_kwargs) if can_draft else "",
            "draft_discard_url": reverse("sessions:draft_discard", kwargs=draft_kwargs),
            **(extra_context or {}),
        },
    )


_DRAFT_FORMS = {"session": "sessions:session_create", "assessment": "sessions:assessment_create"}


def _draft_form_class(kind):
    if kind not in _DRAFT_FORMS:
        raise Http404
    return SessionForm if kind == "session" else AssessmentForm


@require_POST
def draft_save(request, referral_id, kind):
    """Keeps the form's draft (sessions/drafts.py), posted by the form's script
    every few seconds while the person types and when the page is hidden.
    Answers JSON {"kept_at": "HH:MM"}; 400 with messages for a refused draft.
    Passive: it does not restart the idle clock (accounts.middleware), so an
    idle session still ends on time."""
    form_class = _draft_form_class(kind)
    referral = drafts.referral_for_draft(user=request.user, referral_id=referral_id)
    allowed = set(form_class(referral=referral).fields)
    try:
        data = drafts.clean_draft_data(dict(request.POST.lists()), allowed)
        draft = drafts.session_draft_save(
            user=request.user,
            referral=referral,
            kind=kind,
            data=data,
            opened_at=_opened_at(request.POST.get("_opened_at", "")),
        )
    except ValidationError as exc:
        return JsonResponse({"errors": exc.messages}, status=400)
    if draft is None:
        return JsonResponse({"errors": ["The session was saved: no draft is kept."]}, status=409)
    return JsonResponse({"kept_at": timezone.localtime(draft.updated_at).strftime("%H:%M:%S")})


draft_save.passive = True


def _opened_at(value: str):
    """When the posting page was served (an ISO datetime it was given), or None."""
    try:
        parsed = parse_datetime(value[:40])
    except ValueError:
        return None
    return parsed if parsed is not None and timezone.is_aware(parsed) else None


@require_POST
def draft_discard(request, referral_id, kind):
    _draft_form_class(kind)
    referral = _clinical_referral(request, referral_id)
    if drafts.session_draft_discard(user=request.user, referral=referral, kind=kind):
        messages.info(request, "Draft discarded.")
    return redirect(_DRAFT_FORMS[kind], referral.pk)


def session_create(request, referral_id):
    def save(request, referral, form):
        services.therapy_session_record(
            user=request.user, referral=referral, referral_locked=True, **form.service_kwargs()
        )

    return _session_form_view(
        request,
        referral_id,
        form_class=SessionForm,
        template="sessions/session_form.html",
        service=save,
        kind="session",
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
        kind="assessment",
        extra_context={"matrix": MATRIX},
    )


def _referral_form_view(request, referral_id, *, form_class, save, title, submit, success):
    """A small form about one referral: validate, call one service, go back to the record."""
    referral = _clinical_referral(request, referral_id)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            save(referral, form)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("sessions:record", referral.pk)
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
