from django import forms

from accounts.models import Role, User
from sessions.codes import APPOINTMENT_TYPES, CONSULTATION_MEDIUM
from sessions.forms import SessionForm

from .models import AppointmentStatus

BY_CHOICES = [("patient", "The patient"), ("provider", "The service")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, **kwargs):
        super().__init__(format="%H:%M", **kwargs)


class _WhenFields(forms.Form):
    start_date = forms.DateField(label="Date", widget=DateInput)
    start_time = forms.TimeField(label="Start time (UK time)", widget=TimeInput)
    duration_minutes = forms.IntegerField(label="Duration (minutes)", min_value=5, max_value=240, initial=30)
    outside_hours_reason = forms.CharField(
        label="Reason for booking outside working hours (only if it is)", required=False, max_length=300
    )


class BookingForm(_WhenFields):
    practitioner = forms.ModelChoiceField(queryset=User.objects.none())
    appointment_type = forms.ChoiceField(choices=list(APPOINTMENT_TYPES.items()), initial="02")
    medium = forms.ChoiceField(label="Consultation medium", choices=list(CONSULTATION_MEDIUM.items()), initial="02")
    location = forms.CharField(required=False, max_length=200, help_text="For a face-to-face appointment.")
    video_link = forms.URLField(required=False, assume_scheme="https", help_text="For a video appointment.")

    field_order = ["practitioner", "start_date", "start_time", "duration_minutes", "appointment_type", "medium"]

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = User.objects.filter(
            service_id=referral.service_id, role__in=[Role.PWP, Role.HIT, Role.SUPERVISOR], is_active=True
        ).order_by("last_name", "first_name")
        if referral.assigned_practitioner_id:
            self.fields["practitioner"].initial = referral.assigned_practitioner_id
        if referral.assessed_on is None:
            self.fields["appointment_type"].initial = "01"


class RebookForm(_WhenFields):
    by = forms.ChoiceField(label="Who asked to rebook", choices=BY_CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(required=False, max_length=300)


class CancelForm(forms.Form):
    by = forms.ChoiceField(label="Who cancelled", choices=BY_CHOICES, widget=forms.RadioSelect)
    reason = forms.CharField(required=False, max_length=300)


class OutcomeForm(forms.Form):
    status = forms.ChoiceField(
        label="What happened",
        widget=forms.RadioSelect,
        choices=[
            (AppointmentStatus.DNA.value, "Did not attend (3)"),
            (AppointmentStatus.LATE_NOT_SEEN.value, "Arrived late and could not be seen (7)"),
            (AppointmentStatus.CANCELLED_BY_PATIENT.value, "Cancelled by the patient (2)"),
            (AppointmentStatus.CANCELLED_BY_PROVIDER.value, "Cancelled by the service (4)"),
        ],
    )


class AppointmentSessionForm(SessionForm):
    """The session form, its time, type, medium and duration filled in from the booking."""

    def __init__(self, *args, appointment, **kwargs):
        from django.utils import timezone

        # A kept draft (sessions/drafts.py) comes first; the booking fills what it lacks.
        initial = {
            "started_at": timezone.localtime(appointment.starts_at),
            "appointment_type": appointment.appointment_type,
            "medium": appointment.medium,
            "duration_minutes": appointment.duration_minutes,
            **(kwargs.pop("initial", None) or {}),
        }
        super().__init__(*args, initial=initial, **kwargs)
