from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row, Submit
from django import forms
from django.core.validators import RegexValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from accounts.models import Role, Team, User
from core.forms import BoundedDateField, DateInput, bootstrap_widgets

from . import nhs_number as nhs
from .codes import (
    EMPLOYMENT_STATUS_CHOICES,
    GENDER_IDENTITY_CHOICES,
    LONG_TERM_CONDITION_CHOICES,
    PREFERRED_LANGUAGE_CHOICES,
    ContactPreference,
    PresentingProblemType,
    ProblemDescriptor,
    ReferralSource,
    ReferralStatus,
)
from .models import Patient
from .services import PATIENT_EDITABLE_FIELDS, REFERRAL_EDITABLE_FIELDS

# Shapes of the contact codes, so a mistyped or hostile value is refused beside its field.
PHONE = RegexValidator(
    r"^\+?(?:[ ()-]*[0-9]){10,15}[ ()-]*$", "Enter a telephone number: 10 to 15 digits, + for abroad."
)
POSTCODE = RegexValidator(r"(?i)^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", "Enter a UK postcode, for example LS1 4AP.")
GP_PRACTICE_CODE = RegexValidator(r"(?i)^[A-Z][0-9]{5}$", "A GP practice ODS code is a letter and 5 digits.")


class RegistrationForm(forms.Form):
    """A patient and their referral, registered together by referral admin staff."""

    nhs_number = forms.CharField(label="NHS number", max_length=14, help_text="10 digits; spaces are fine.")
    given_name = forms.CharField(max_length=100)
    family_name = forms.CharField(max_length=100)
    date_of_birth = BoundedDateField(widget=DateInput)
    # No default (issue 15): a blank the administrator must choose, never a silent "Male".
    sex = forms.ChoiceField(choices=[("", "Choose…")] + list(Patient._meta.get_field("sex").choices))
    gender_identity = forms.ChoiceField(choices=[("", "Not recorded")] + GENDER_IDENTITY_CHOICES, required=False)
    gender_identity_described = forms.CharField(
        max_length=100, required=False, label="Gender identity in the patient's own words"
    )
    ethnicity = forms.ChoiceField(choices=Patient._meta.get_field("ethnicity").choices, initial="Z")
    phone = forms.CharField(max_length=20, required=False, validators=[PHONE])
    email = forms.EmailField(required=False)
    address = forms.CharField(max_length=300, required=False)
    postcode = forms.CharField(max_length=10, required=False, validators=[POSTCODE])
    contact_preferences = forms.MultipleChoiceField(
        choices=ContactPreference.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    consent_to_contact = forms.BooleanField(required=False, label="Consents to be contacted")
    consent_to_leave_messages = forms.BooleanField(required=False, label="Messages may be left")
    mobile = forms.CharField(max_length=20, required=False, label="Mobile number (for text reminders)")
    consent_sms_reminders = forms.BooleanField(required=False, label="Consents to text message reminders")
    consent_email_reminders = forms.BooleanField(required=False, label="Consents to email reminders")
    gp_practice_code = forms.CharField(
        max_length=10, required=False, label="GP practice ODS code", validators=[GP_PRACTICE_CODE]
    )
    gp_practice_name = forms.CharField(max_length=200, required=False, label="GP practice")
    preferred_language = forms.ChoiceField(choices=[("", "Not recorded")] + PREFERRED_LANGUAGE_CHOICES, required=False)
    interpreter_required = forms.BooleanField(required=False, label="Needs an interpreter")
    employment_status = forms.ChoiceField(choices=[("", "Not recorded")] + EMPLOYMENT_STATUS_CHOICES, required=False)
    employment_status_recorded_on = BoundedDateField(
        widget=DateInput, required=False, label="Employment status recorded on"
    )
    long_term_conditions = forms.MultipleChoiceField(
        choices=LONG_TERM_CONDITION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )
    source = forms.ChoiceField(choices=ReferralSource.choices, label="Referral source")
    received_on = BoundedDateField(widget=DateInput, label="Referral received", initial=timezone.localdate)
    problem_descriptor = forms.ChoiceField(
        choices=[("", "Not yet known")] + list(ProblemDescriptor.choices), required=False
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Referral notes")

    PATIENT_FIELDS = ("nhs_number", *PATIENT_EDITABLE_FIELDS)
    REFERRAL_FIELDS = REFERRAL_EDITABLE_FIELDS

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["team"].queryset = Team.objects.filter(service_id=user.service_id)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset(
                "Patient",
                Row(Column("nhs_number"), Column("date_of_birth")),
                Row(Column("given_name"), Column("family_name")),
                Row(Column("sex"), Column("gender_identity"), Column("gender_identity_described")),
                Row(Column("ethnicity"), Column("preferred_language"), Column("interpreter_required")),
                Row(Column("employment_status"), Column("employment_status_recorded_on")),
                "long_term_conditions",
            ),
            Fieldset(
                "Contact",
                Row(Column("phone"), Column("email")),
                Row(Column("address"), Column("postcode")),
                "contact_preferences",
                Row(Column("consent_to_contact"), Column("consent_to_leave_messages")),
                Row(Column("mobile"), Column("consent_sms_reminders"), Column("consent_email_reminders")),
                Row(Column("gp_practice_code"), Column("gp_practice_name")),
            ),
            Fieldset(
                "Referral",
                Row(Column("source"), Column("received_on")),
                Row(Column("problem_descriptor"), Column("team")),
                "notes",
            ),
            Submit("submit", "Register referral"),
        )

    def clean_nhs_number(self):
        number = nhs.normalise(self.cleaned_data["nhs_number"])
        if not nhs.is_valid(number):
            raise forms.ValidationError("This is not a valid NHS number: 10 digits that pass the modulus 11 check.")
        existing = Patient.objects.filter(service_id=self.user.service_id, nhs_number=number).first()
        if existing is not None:
            if Patient.objects.visible_to(self.user).filter(pk=existing.pk).exists():
                raise forms.ValidationError(
                    format_html(
                        'A patient with this NHS number is already registered: <a href="{}">open their record</a>.',
                        reverse("patients:detail", args=[existing.pk]),
                    )
                )
            raise forms.ValidationError("A patient with this NHS number is already registered with this service.")
        return number

    def patient_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PATIENT_FIELDS}

    def referral_data(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.REFERRAL_FIELDS}


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status")] + list(ReferralStatus.choices), required=False)
    step = forms.TypedChoiceField(
        choices=[("", "Any step"), (1, "Step 1"), (2, "Step 2"), (3, "Step 3")],
        coerce=int,
        required=False,
        empty_value=None,
    )
    problem_descriptor = forms.ChoiceField(
        choices=[("", "Any problem")] + list(ProblemDescriptor.choices), required=False, label="Problem"
    )
    source = forms.ChoiceField(choices=[("", "Any source")] + list(ReferralSource.choices), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="Any team")
    practitioner = forms.ModelChoiceField(queryset=User.objects.none(), required=False, empty_label="Anyone")
    received_from = BoundedDateField(required=False, widget=DateInput, label="Received from")
    received_to = BoundedDateField(required=False, widget=DateInput, label="to")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)
        self.fields["team"].queryset = Team.objects.filter(service_id=user.service_id)
        self.fields["practitioner"].queryset = User.objects.filter(
            service_id=user.service_id, role__in=[Role.PWP, Role.HIT, Role.SUPERVISOR], is_active=True
        ).order_by("last_name", "first_name")


class PatientSearchForm(forms.Form):
    """Find a patient by NHS number or family name. Posted, never in a query
    string: a URL lands in browser history, proxy and server logs."""

    q = forms.CharField(label="NHS number or family name", max_length=100, strip=True)

    def clean_q(self):
        value = self.cleaned_data["q"]
        if "\x00" in value:
            raise forms.ValidationError("Enter an NHS number or a family name.")
        return value


class PatientEditForm(forms.ModelForm):
    """A patient's details; `version` carries what the editor read, so a save
    made on a stale page is refused (patients/services.py patient_update)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    contact_preferences = forms.MultipleChoiceField(
        choices=ContactPreference.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    long_term_conditions = forms.MultipleChoiceField(
        choices=LONG_TERM_CONDITION_CHOICES, required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Patient
        fields = sorted(PATIENT_EDITABLE_FIELDS)
        widgets = {"date_of_birth": DateInput, "employment_status_recorded_on": DateInput}
        field_classes = {"date_of_birth": BoundedDateField, "employment_status_recorded_on": BoundedDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        for name in ("given_name", "family_name", "gender_identity_described", "address", "gp_practice_name"):
            self.fields[name].validators.append(_no_nul_validator)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "version",
            Row(Column("given_name"), Column("family_name")),
            Row(Column("date_of_birth"), Column("sex"), Column("gender_identity"), Column("gender_identity_described")),
            Row(Column("ethnicity"), Column("preferred_language"), Column("interpreter_required")),
            Row(Column("employment_status"), Column("employment_status_recorded_on")),
            "long_term_conditions",
            Row(Column("phone"), Column("email")),
            Row(Column("address"), Column("postcode")),
            "contact_preferences",
            Row(Column("consent_to_contact"), Column("consent_to_leave_messages")),
            Row(Column("mobile"), Column("consent_sms_reminders"), Column("consent_email_reminders")),
            Row(Column("gp_practice_code"), Column("gp_practice_name")),
            Submit("submit", "Save details"),
        )

    def _post_clean(self):
        # The service validates the model and writes it; the form does not
        # write into the instance (so a refused save leaves it as it was).
        pass

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ReferralEditForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    source = forms.ChoiceField(choices=ReferralSource.choices, label="Referral source")
    received_on = BoundedDateField(widget=DateInput, label="Referral received")
    problem_descriptor = forms.ChoiceField(
        choices=[("", "Not yet known")] + list(ProblemDescriptor.choices), required=False
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10000)

    def __init__(self, *args, referral, **kwargs):
        initial = {
            "version": referral.version,
            "source": referral.source,
            "received_on": referral.received_on,
            "problem_descriptor": referral.problem_descriptor,
            "team": referral.team_id,
            "notes": referral.reason_notes,
        }
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["team"].queryset = Team.objects.filter(service_id=referral.service_id)
        self.fields["notes"].validators.append(_no_nul_validator)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            "version",
            Row(Column("source"), Column("received_on")),
            Row(Column("problem_descriptor"), Column("team")),
            "notes",
            Submit("submit", "Save referral"),
        )

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name] for name in ("source", "received_on", "problem_descriptor", "team", "notes")
        }


def _no_nul_validator(value):
    if value and "\x00" in value:
        raise forms.ValidationError("Remove the null characters from this text.")


class PresentingProblemForm(forms.Form):
    """Record a presenting problem (IDS603) on the record: primary or secondary,
    the ICD-10 problem and the date it was recorded. `version` is the referral's,
    for the same compare-and-swap as every edit of the record."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
    kind = forms.ChoiceField(
        label="Primary or secondary",
        choices=PresentingProblemType.choices,
        widget=forms.RadioSelect,
        initial=PresentingProblemType.PRIMARY,
    )
    code = forms.ChoiceField(label="Problem (ICD-10)", choices=[("", "–")] + list(ProblemDescriptor.choices))
    recorded_on = BoundedDateField(widget=DateInput, label="Date recorded", initial=timezone.localdate)

    def __init__(self, *args, referral, **kwargs):
        super().__init__(*args, initial={"version": referral.version}, **kwargs)
        self.helper = FormHelper()
        self.helper.form_action = reverse("patients:presenting_problem_add", args=[referral.pk])
        self.helper.layout = Layout(
            "version",
            Row(Column("kind"), Column("code"), Column("recorded_on")),
            Submit("submit", "Record problem"),
        )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "version": data["version"],
            "kind": data["kind"],
            "code": data["code"],
            "recorded_on": data["recorded_on"],
        }
