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

from accounts import policy
from accounts.models import Role
from accounts.policy import WriteAction
from core.once import submit_once
from patients import selectors as patient_selectors

from . import drafts, hooks, selectors, services
from .charts import measure_series
from .forms import AmendmentForm, AssessmentForm, RiskEventForm, SessionForm, StepProposalForm

CLINICAL_ROLES = (Role.PWP, Role.HIT, Role.SUPERVISOR)


def _clinical_referral(request, referral_id, **options):
    """The referral, if this user holds a clinical relationship to it (404 otherwise:
    referral administrators see no clinical notes)."""
    if request.user.role not in CLINICAL_ROLES + (Role.SERVICE_MANAGER,):
        raise Http404
    return patient_selectors.referral_get_for_user(user=request.user, referral_id=referral_id, **options)


def referral_record(request, referral_id):
    referral = _clinical_referral(request, referral_id)
    record = selectors.record_for_user(user=request.user, referral=referral)
    context = {
        "referral": referral,
        "patient": referral.patient,
        **record,
        "amendments": list(referral.amendments.select_related("recorded_by")),
        "chart_series": measure_series(record["sessions"]),
        "can_record": referral.is_open and policy.allowed(WriteAction.SESSION_RECORD, request.user, referral),
        "can_amend": policy.allowed(WriteAction.AMENDMENT_RECORD, request.user, referral),
        # IDS603: the history of presenting problems, and its form (decision 023)
        **patient_selectors.presenting_problems_for_record(referral),
    }
    context["can_change_problems"] = context["can_record"]
    if context["can_record"]:
        from patients.forms import PresentingProblemForm

        context["problem_form"] = PresentingProblemForm(referral=referral)
    # the expected course behind the chart and the not-on-track flag, from the floors above (decision 021)
    return render(request, "sessions/record.html", hooks.record_context(referral, context))


def _session_form_view(request, referral_id, *, form_class, template, service, kind, extra_context=None):
    """A POST is one transaction: the referral read under its row lock (so the
    service need not read it again), the audit of that read, the form's one-time
    token (core/once.py: a double submit saves once), the session with its
    measures, the removal of the form's draft and the outbox message commit
    together, once. A form with errors commits the read's audit alone and shows
    what was typed. A form opened with a draft kept (sessions/drafts.py) shows
    the draft and when it was kept."""
    posted = request.method == "POST"
    draft = None
    with transaction.atomic():
        # The page shows the patient (header); a POST that saves shows nothing, so
        # it reads the referral row alone and a form with errors loads the patient.
        referral = _clinical_referral(request, referral_id, for_update=posted, related=() if posted else ("patient",))
        policy.require(WriteAction.SESSION_RECORD, request.user, referral)  # 403: the same rule as the API's
        if not referral.is_open:
            messages.error(request, "This referral has ended: the record is read-only except for a recorded amendment.")
            return redirect("sessions:record", referral.pk)
        if posted:
            form = form_class(request.POST, referral=referral)
            record_url = reverse("sessions:record", args=[referral.pk])

            def save():
                service(request, referral, form)
                drafts.session_draft_discard(user=request.user, referral=referral, kind=kind, reason="saved")
                return record_url

            done = submit_once(request, form, save=save, success="Session saved.", redirect_to=record_url)
            if done is not None:
                return done
        else:
            draft = drafts.session_draft_get_for_user(user=request.user, referral=referral, kind=kind)
            initial = None
            if draft is not None:
                prototype = form_class(referral=referral)
                multi = {n for n, f in prototype.fields.items() if isinstance(f, forms.MultipleChoiceField)}
                initial = drafts.initial_from_draft(draft, multi)
            form = form_class(initial=initial, referral=referral)
    can_draft = request.user.role in drafts.RECORDING_ROLES
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
            secondary_problems=data["secondary_problems"],
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


def _referral_form_view(request, referral_id, *, action, form_class, save, title, submit, success):
    """A small form about one referral: validate, call one service (once per
    one-time token, core/once.py), go back to the record. The write's policy
    (accounts/policy.py) is checked before the form is shown: a user who may not
    make it gets 403, as from the API."""
    referral = _clinical_referral(request, referral_id)
    policy.require(action, request.user, referral)
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
        action=WriteAction.STEP_CHANGE_PROPOSE,
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
        action=WriteAction.RISK_RECORD,
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
        action=WriteAction.AMENDMENT_RECORD,
        form_class=AmendmentForm,
        save=lambda referral, form: services.amendment_record(
            user=request.user, referral=referral, **form.cleaned_data
        ),
        title="Amend an ended record",
        submit="Record amendment",
        success="Amendment recorded.",
    )
