from datetime import date, timedelta
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.forms import apply_validation_error
from patients import selectors as patient_selectors
from sessions import services as session_services
from sessions import views as session_views

from . import selectors, services
from .forms import AppointmentSessionForm, BookingForm, CancelForm, OutcomeForm, RebookForm
from .models import AppointmentStatus

BOOKING_ROLES = tuple(services.BOOKING_ROLES)


def _day(value, default: date) -> date:
    try:
        return date.fromisoformat(value) if value else default
    except ValueError:
        return default


def appointment_book(request, referral_id):
    if request.user.role not in BOOKING_ROLES:
        raise Http404
    referral = patient_selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    initial = {}
    if request.method == "GET":
        for name in ("start_date", "start_time"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
    form = BookingForm(request.POST or None, referral=referral, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            appointment = services.appointment_book(user=request.user, referral=referral, **form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            local = timezone.localtime(appointment.starts_at)
            messages.success(request, f"Appointment booked for {local:%d/%m/%Y} at {local:%H:%M}.")
            return redirect("appointments:detail", appointment.pk)
    practitioner = referral.assigned_practitioner or (
        request.user if request.user.role in selectors.DIARY_ROLES else None
    )
    slots = selectors.free_slots_for(practitioner=practitioner, start=timezone.localdate())[:12] if practitioner else []
    return render(
        request,
        "appointments/book.html",
        {"form": form, "referral": referral, "patient": referral.patient, "slots": slots, "slot_owner": practitioner},
    )


def appointment_detail(request, appointment_id):
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    dna_run = 0
    if appointment.status == AppointmentStatus.DNA:
        for status in (
            appointment.referral.appointments.filter(starts_at__lte=appointment.starts_at)
            .exclude(status__in=[AppointmentStatus.BOOKED, AppointmentStatus.REBOOKED])
            .order_by("-starts_at")
            .values_list("status", flat=True)[:5]
        ):
            if status != AppointmentStatus.DNA:
                break
            dna_run += 1
    return render(
        request,
        "appointments/detail.html",
        {
            "appointment": appointment,
            "referral": appointment.referral,
            "patient": appointment.referral.patient,
            "reminders": list(appointment.reminders.all()),
            "clinical": request.user.role in session_views.CLINICAL_ROLES,
            "dna_run": dna_run,
            "outcome_form": OutcomeForm(),
        },
    )


def appointment_session(request, appointment_id):
    """The session form opened from a booking: time, type, medium and duration
    filled in; saving records the care contact and links it to the booking in
    one transaction (sessions/views.py does the rest, unchanged)."""
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        messages.error(request, "This appointment already has its outcome recorded.")
        return redirect("appointments:detail", appointment.pk)

    def save(request, referral, form):
        # One savepoint for both: a booking whose outcome another request
        # recorded meanwhile refuses the link, and the session goes with it.
        with transaction.atomic():
            session = session_services.therapy_session_record(
                user=request.user, referral=referral, referral_locked=True, **form.service_kwargs()
            )
            services.appointment_session_link(user=request.user, appointment=appointment, session=session)

    return session_views._session_form_view(
        request,
        appointment.referral_id,
        form_class=partial(AppointmentSessionForm, appointment=appointment),
        template="sessions/session_form.html",
        service=save,
        kind="session",
        extra_context={"appointment": appointment},
    )


def _appointment_form_view(request, appointment_id, *, form_class, save, title, submit, success):
    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    if request.user.role not in BOOKING_ROLES:
        raise Http404
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                result = save(appointment, form.cleaned_data)
        except ValidationError as exc:
            apply_validation_error(form, exc)
        else:
            messages.success(request, success)
            return redirect("appointments:detail", result.pk)
    return render(
        request,
        "appointments/form.html",
        {
            "form": form,
            "appointment": appointment,
            "patient": appointment.referral.patient,
            "title": title,
            "submit": submit,
        },
    )


def appointment_outcome(request, appointment_id):
    return _appointment_form_view(
        request,
        appointment_id,
        form_class=OutcomeForm,
        save=lambda a, data: services.appointment_outcome_record(user=request.user, appointment=a, **data),
        title="Record what happened",
        submit="Record outcome",
        success="Outcome recorded.",
    )


def appointment_cancel(request, appointment_id):
    return _appointment_form_view(
        request,
        appointment_id,
        form_class=CancelForm,
        save=lambda a, data: services.appointment_cancel(user=request.user, appointment=a, **data),
        title="Cancel the appointment",
        submit="Cancel appointment",
        success="Appointment cancelled.",
    )


def appointment_rebook(request, appointment_id):
    return _appointment_form_view(
        request,
        appointment_id,
        form_class=RebookForm,
        save=lambda a, data: services.appointment_rebook(user=request.user, appointment=a, **data),
        title="Rebook the appointment",
        submit="Rebook",
        success="Appointment rebooked.",
    )


def diary(request, days: int = 1):
    practitioner = selectors.practitioner_get_for_user(
        user=request.user, practitioner_id=request.GET.get("practitioner")
    )
    today = timezone.localdate()
    start = _day(request.GET.get("day"), today)
    if days == 7:
        start -= timedelta(days=start.weekday())
    diary_days = selectors.diary_for_user(user=request.user, practitioner=practitioner, start=start, days=days)
    return render(
        request,
        "appointments/diary.html",
        {
            "practitioner": practitioner,
            "days": diary_days,
            "week": days == 7,
            "start": start,
            "previous": start - timedelta(days=days),
            "next": start + timedelta(days=days),
            "other": "" if practitioner == request.user else practitioner.pk,
        },
    )


def diary_week(request):
    return diary(request, days=7)


def _pdf_response(pdf: bytes, filename: str):
    from django.http import HttpResponse

    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def appointment_letter(request, appointment_id):
    """GET: the appointment letter as PDF (audited as an export); POST: send it by post."""
    from accounts.audit import audit_record
    from accounts.models import AccessAction

    from . import letters

    appointment = selectors.appointment_get_for_user(user=request.user, appointment_id=appointment_id)
    if request.user.role not in BOOKING_ROLES:
        raise Http404
    if request.method == "POST":
        try:
            letter = services.letter_send(
                user=request.user, referral=appointment.referral, kind="appointment", appointment=appointment
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Appointment letter: {letter.get_status_display().lower()}.")
        return redirect("appointments:detail", appointment.pk)
    audit_record(user=request.user, action=AccessAction.EXPORT, object_type="appointment_letter",
                 object_id=appointment.pk, patient_id=appointment.referral.patient_id)  # fmt: skip
    return _pdf_response(letters.appointment_letter_pdf(appointment), "appointment-letter.pdf")


def discharge_letter(request, referral_id):
    """GET: the GP discharge letter of an ended referral as PDF; POST: send it by post."""
    from accounts.audit import audit_record
    from accounts.models import AccessAction

    from . import letters

    if request.user.role not in session_views.CLINICAL_ROLES + (Role.SERVICE_MANAGER,):
        raise Http404
    referral = patient_selectors.referral_get_for_user(user=request.user, referral_id=referral_id)
    if referral.is_open:
        messages.error(request, "The discharge letter is written when the referral has ended.")
        return redirect("sessions:record", referral.pk)
    if request.method == "POST":
        letter = services.letter_send(user=request.user, referral=referral, kind="gp_discharge")
        messages.success(request, f"Discharge letter: {letter.get_status_display().lower()}.")
        return redirect("sessions:record", referral.pk)
    audit_record(user=request.user, action=AccessAction.EXPORT, object_type="gp_discharge_letter",
                 object_id=referral.pk, patient_id=referral.patient_id)  # fmt: skip
    return _pdf_response(letters.gp_discharge_letter_pdf(referral), "discharge-letter.pdf")


def calendar_settings(request):
    """The user's own feed: make a new secret URL (shown once) or revoke it."""
    from . import calendar

    if request.user.role not in selectors.DIARY_ROLES:
        raise Http404
    url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            calendar.calendar_feed_revoke(user=request.user)
            messages.success(request, "Your calendar feed is revoked: its address no longer works.")
        else:
            token = calendar.calendar_feed_create(user=request.user)
            url = request.build_absolute_uri(reverse("appointments:calendar_feed", args=[token]))
    feed = getattr(request.user, "calendar_feed", None)
    return render(request, "appointments/calendar.html", {"url": url, "active": bool(feed and not feed.revoked_at)})


@login_not_required
def calendar_feed(request, token):
    """The iCalendar document for whoever holds the secret URL (calendar apps
    cannot log in); 404 for an unknown or revoked token."""
    from django.http import HttpResponse

    from . import calendar

    owner = calendar.feed_owner(token)
    if owner is None:
        raise Http404
    response = HttpResponse(calendar.calendar_for(owner), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response
