from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.models import Role
from accounts.policy import WriteAction
from core.once import submit_once
from patients.selectors import audit_list, referral_get_for_user
from sessions.charts import measure_series
from sessions.selectors import record_for_user

from . import selectors, services
from .forms import CaseReviewForm, ClinicalSkillsForm, FlagFilterForm, RequestForm, SessionStartForm
from .models import Flag, FlagReason


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
        fitted, _ = services.agenda_for(selectors.flagged_cases(user=request.user, supervisee_id=supervisee.pk))
        session = services.supervision_session_start(
            user=request.user, supervisee=supervisee, agenda_referral_ids=[case.pk for case in fitted]
        )
        return reverse("supervision:session", args=[session.pk])

    done = submit_once(request, form, save=save, success="Supervision session opened.")
    if done is None:
        raise Http404  # not one of this supervisor's supervisees, whatever was sent
    return done


def session_detail(request, session_id):
    _supervisor(request)
    session = selectors.supervision_session_for_user(user=request.user, session_id=session_id)
    cases = {c.pk: c for c in selectors.flagged_cases(user=request.user, supervisee_id=session.supervisee_id)}
    reviewed = set(session.reviews.values_list("referral_id", flat=True))
    agenda = [{"id": rid, "case": cases.get(rid), "reviewed": rid in reviewed} for rid in session.agenda]
    later = [c for c in cases.values() if c.pk not in set(session.agenda)]
    # The page names every case on the agenda and every one that waits: one audit
    # entry listing them, so each patient's access page shows this read.
    audit_list(
        user=request.user,
        object_type="supervision_session",
        rows=[item["case"] for item in agenda if item["case"] is not None] + later,
    )
    return render(request, "supervision/session.html", {"session": session, "agenda": agenda, "later": later})


def case_review(request, referral_id, session_id=None):
    # No role gate before the record: the write's policy answers (403), as in the API.
    session = selectors.supervision_session_for_user(user=request.user, session_id=session_id) if session_id else None
    referral = referral_get_for_user(user=request.user, referral_id=referral_id)
    # 403, as from the API: a supervisor's own caseload is reviewed by their own supervisor
    policy.require(WriteAction.CASE_REVIEW_RECORD, request.user, referral)
    form = CaseReviewForm(request.POST or None, service_id=referral.service_id)
    if request.method == "POST":

        def save():
            services.case_review_record(user=request.user, referral=referral, session=session, **form.cleaned_data)
            if session:
                next_id = next(
                    (
                        rid
                        for rid in session.agenda
                        if rid != referral.pk and not session.reviews.filter(referral_id=rid).exists()
                    ),
                    None,
                )
                if next_id:
                    return reverse("supervision:session_case", args=[session.pk, next_id])
                return reverse("supervision:session", args=[session.pk])
            return reverse("supervision:dashboard")

        done = submit_once(request, form, save=save, success="Review recorded.")
        if done is not None:
            return done
    record = record_for_user(user=request.user, referral=referral)
    flags = list(Flag.objects.filter(referral=referral, resolved_at__isnull=True))
    return render(
        request,
        "supervision/case_review.html",
        {
            "form": form,
            "referral": referral,
            "patient": referral.patient,
            "session": session,
            "flags": flags,
            "chart_series": measure_series(record["sessions"]),
            **record,
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
    items = list(request.user.notifications.all()[:50])
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    return render(request, "supervision/notifications.html", {"items": items})
