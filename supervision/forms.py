from django import forms
from django.utils import timezone

from accounts.models import Role, User
from core.forms import BoundedDateField, DateInput
from patients.codes import EndCode

from .models import ClinicalSkillsSupervision, Decision, FlagReason, TrackDecision, TrackObstacle


class CaseReviewForm(forms.Form):
    decisions = forms.MultipleChoiceField(choices=Decision.choices, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10000)
    next_review_on = BoundedDateField(widget=DateInput, label="Next review")
    end_code = forms.ChoiceField(
        choices=[("", "–")] + list(EndCode.choices), required=False, label="End code (discharge)"
    )
    step_up_practitioner = forms.ModelChoiceField(
        queryset=User.objects.none(), required=False, label="High-intensity therapist (step up)"
    )
    risk_action = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)
    risk_action_owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)
    risk_action_due = BoundedDateField(widget=DateInput, required=False)
    # Issue 21 item 3: shown, and required by the service, when the case is not on track.
    track_decision = forms.ChoiceField(
        choices=TrackDecision.choices,
        widget=forms.RadioSelect,
        required=False,
        label="What was decided about the case not on track",
    )
    track_obstacle = forms.ChoiceField(
        choices=[("", "–")] + list(TrackObstacle.choices), required=False, label="Obstacle to address"
    )

    def __init__(self, *args, service_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["next_review_on"].initial = timezone.localdate() + timezone.timedelta(days=28)
        staff = User.objects.filter(service_id=service_id, is_active=True).order_by("last_name", "first_name")
        self.fields["risk_action_owner"].queryset = staff
        self.fields["step_up_practitioner"].queryset = staff.filter(role=Role.HIT)


class FlagFilterForm(forms.Form):
    supervisee = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="All supervisees")
    reason = forms.ChoiceField(choices=[("", "Any reason")] + list(FlagReason.choices), required=False)

    def __init__(self, *args, supervisees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisee"].queryset = supervisees
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-select form-select-sm"


class ClinicalSkillsForm(forms.Form):
    held_on = BoundedDateField(widget=DateInput, initial=timezone.localdate)
    format = forms.ChoiceField(choices=ClinicalSkillsSupervision.FORMATS)
    attendees = forms.ModelMultipleChoiceField(queryset=User.objects.none(), widget=forms.CheckboxSelectMultiple)
    duration_minutes = forms.IntegerField(min_value=15, max_value=240, initial=60)
    topics = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)

    def __init__(self, *args, supervisees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attendees"].queryset = supervisees


class RequestForm(forms.Form):
    question = forms.CharField(
        label="What do you want to discuss?", widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )


class SessionStartForm(forms.Form):
    """The supervisee whose case-management supervision starts now."""

    supervisee = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args, supervisees, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["supervisee"].queryset = supervisees


class AgendaChangeForm(forms.Form):
    """Move a case on the agenda, or add one (the service checks it is the supervisee's)."""

    action = forms.ChoiceField(choices=[("up", "Move up"), ("down", "Move down"), ("add", "Add")])
    referral = forms.UUIDField()
