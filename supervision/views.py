from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.models import Role
from accounts.policy import WriteAction
from core.once import submit_once
from feedback.services import record_expected_course
from patients.selectors import audit_list, referral_get_for_user
from sessions.charts import measure_series
from sessions.selectors import record_for_user

from . import selectors, services
from .forms import AgendaChangeForm, CaseReviewForm, ClinicalSkillsForm, FlagFilterForm, RequestForm, SessionStartForm
from .models import FlagReason, NotificationKind


def _supervisor(request):
    if request.user.role != Role.SUPERVISOR:
        raise Http404


def dashboard(request):
    _supervisor(request)
    supervisees = selectors.supervisees_of(request.user)
    form = FlagFilterForm(request.GET or None, supervisees=supervisees)
    filters = form.cleaned_data if form.is_valid() else {}
    supervisee = filters.get("supervisee")
    cases = list(
        selectors.flagged_cases(
            user=request.user, supervisee_id=supervisee.pk if supervisee else None, reason=filters.get("reason") or None
        )
    )
    audit_list(user=request.user, object_type="flagged_case", rows=cases)
    for case in cases:
        case.reason_labels = [FlagReason(reason).label for reason in case.reasons]
    return render(
        request,
        "supervision/dashboard.html",
        {
            "form": form,
            "cases": cases,
            "counts": selectors.counts_per_supervisee(user=request.user),
        },
    )


@require_POST
def session_start(request):
    _supervisor(request)
    form = SessionStartForm(request.POST, supervisees=selectors.supervisees_of(request.user))

    def save():
        supervisee = form.cleaned_data["supervisee"]
        carried = selectors.carried_from_last_session(supervisor=request.user, supervisee_id=supervisee.pk)
        plan = services.agenda_plan(
            selectors.flagged_cases(user=request.user, supervisee_id=supervisee.pk), carried_before=carried
        )
        session = services.supervision_session_start(
            user=request.user,
            supervisee=supervisee,
            agenda_referral_ids=[case.pk for case, _ in plan],
            agenda_minutes=[minutes for _, minutes in plan],
        )
        return reverse("supervision:session", args=[session.pk])

    done = submit_once(request, form, save=save, success="Supervision session opened.")
    if done is None:
        raise Http404  # not one of this supervisor's supervisees, whatever was sent
    return done


def session_detail(request, session_id):
    """The agenda with its clock (issue 16 item 2): each case's reasons in words
    with their evidence, its minutes and start time; the cases past the hour as
    carried; a reviewed row keeps its name and shows the decision."""
    _supervisor(request)
    session = selectors.supervision_session_for_user(user=request.user, session_id=session_id)
    context = selectors.agenda_for_session(user=request.user, session=session)
    audit_list(user=request.user, object_type="supervision_session", rows=context["audited"])
    return render(request, "supervision/session.html", {"session": session, **context})


@require_POST
def agenda_change(request, session_id):
    """Move a case up or down, or add one of the supervisee's open cases."""
    _supervisor(request)
    session = selectors.supervision_session_for_user(user=request.user, session_id=session_id)
    form = AgendaChangeForm(request.POST)
    if form.is_valid():
        try:
            services.supervision_agenda_change(
                user=request.user,
                session=session,
                referral_id=form.cleaned_data["referral"],
                action=form.cleaned_data["action"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, "Choose a case to add or move.")
    return redirect(f"{reverse('supervision:session', args=[session.pk])}#agenda")


def case_review(request, referral_id, session_id=None):
    """Everything needed to decide (issue 16 item 1) and the decision form. No
    role gate before the record: the write's policy answers (403), as in the API."""
    session = selectors.supervision_session_for_user(user=request.user, session_id=session_id) if session_id else None
    referral = referral_get_for_user(user=request.user, referral_id=referral_id)
    # 403, as from the API: a supervisor's own caseload is reviewed by their own supervisor
    policy.require(WriteAction.CASE_REVIEW_RECORD, request.user, referral)
    form = CaseReviewForm(request.POST or None, service_id=referral.service_id)
    if request.method == "POST":

        def save():
            review = services.case_review_record(
                user=request.user, referral=referral, session=session, **form.cleaned_data
            )
            next_url = reverse("supervision:dashboard")
            if session:
                next_id = selectors.next_on_agenda(session=session, after=referral.pk)
                next_url = (
                    reverse("supervision:session_case", args=[session.pk, next_id])
                    if next_id
                    else reverse("supervision:session", args=[session.pk])
                )
            if review.step_change is not None:
                # The case may have left this supervisor's line: say where it went, not 404.
                outcome = reverse("stepped_care:step_change_outcome", args=[review.step_change.pk])
                return f"{outcome}?{urlencode({'next': next_url})}"
            return next_url

        done = submit_once(request, form, save=save, success="Review recorded.")
        if done is not None:
            return done
    record = record_for_user(user=request.user, referral=referral)
    context = selectors.review_context(referral=referral, record=record)
    chart_series = measure_series(record["sessions"])
    record_expected_course(referral, {"chart_series": chart_series})  # issue 21: the expected course behind
    return render(
        request,
        "supervision/case_review.html",
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "session": session,
            "chart_series": chart_series,
            **record,
            **context,
        },
    )


def clinical_skills(request):
    _supervisor(request)
    supervisees = selectors.supervisees_of(request.user)
    form = ClinicalSkillsForm(request.POST or None, supervisees=supervisees)
    if request.method == "POST":

        def save():
            services.clinical_skills_log(user=request.user, **form.cleaned_data)
            return reverse("supervision:clinical_skills")

        done = submit_once(request, form, save=save, success="Clinical-skills supervision logged.")
        if done is not None:
            return done
    from .models import ClinicalSkillsSupervision

    logs = ClinicalSkillsSupervision.objects.filter(supervisor=request.user).prefetch_related("attendees")[:20]
    return render(request, "supervision/clinical_skills.html", {"form": form, "logs": logs})


def compliance(request):
    _supervisor(request)
    return render(request, "supervision/compliance.html", {"rows": selectors.compliance(user=request.user)})


def request_supervision(request, referral_id):
    referral = referral_get_for_user(user=request.user, referral_id=referral_id)
    policy.require(WriteAction.FLAG_REQUEST, request.user, referral)  # 403, as from the API
    form = RequestForm(request.POST or None)
    if request.method == "POST":
        record_url = reverse("sessions:record", args=[referral.pk])

        def save():
            services.flag_request(user=request.user, referral=referral, question=form.cleaned_data["question"])
            return record_url

        done = submit_once(
            request,
            form,
            save=save,
            success="The case will be brought to your next supervision.",
            redirect_to=record_url,
        )
        if done is not None:
            return done
    return render(
        request,
        "sessions/simple_form.html",
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "title": "Bring this case to supervision",
            "submit": "Ask for supervision",
        },
    )


def notifications(request):
    """The user's notifications: case name, reason, a link to its review (issue 16 item 3)."""
    items = selectors.notifications_for_user(user=request.user)
    audit_list(user=request.user, object_type="notification", rows=[n for n in items if n.patient_id])
    return render(request, "supervision/notifications.html", {"items": items})


def notification_open(request, notification_id):
    """Follows a notification (the link in its email, behind log-in) to the case's
    review, marking it read; a case no longer reviewable goes to the list."""
    notification = selectors.notification_get_for_user(user=request.user, notification_id=notification_id)
    services.notification_mark_read(user=request.user, notification_ids=[notification.pk])
    if notification.kind == NotificationKind.URGENT_SELF_REFERRAL:
        return redirect("selfreferral_staff:incoming")
    if notification.flag_id and request.user.role == Role.SUPERVISOR and notification.reviewable:
        return redirect("supervision:case_review", notification.flag.referral_id)
    if notification.kind == NotificationKind.PATIENT_RISK and notification.patient_id:
        return redirect("sessions:record", notification.flag.referral_id)
    return redirect("supervision:notifications")


@require_POST
def notifications_mark_read(request):
    ids = request.POST.getlist("notification")
    services.notification_mark_read(user=request.user, notification_ids=None if request.POST.get("all") else ids)
    messages.success(request, "Marked as read.")
    return redirect("supervision:notifications")
