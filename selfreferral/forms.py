"""The self-referral form's questions, one form per page (issue 20 item 1).

Each form validates only the shape of its own answers; the wizard keeps what
was typed (the raw POST of each page) in the Django session and binds every form
again before submitting, so the saved row is always built from validated data.
Rules and their sources: adults only (DOMAIN.md "Patients taking part"), the NHS
number's modulus 11 check (DOMAIN.md "Referrals and their codes";
patients/nhs_number.py), UK postcodes and mobiles as the registration form
checks them (patients/forms.py, patients/models.py)."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from patients import nhs_number as nhs
from patients.codes import Ethnicity, Sex
from patients.forms import POSTCODE
from patients.models import validate_uk_mobile
from patients.services import MAX_AGE_YEARS, MINIMUM_AGE

from .codes import Channel, Duration

MAX_TEXT = 2000  # characters of free text per answer: a page of writing


def normalise_postcode(value: str) -> str:
    """'ls14ap ' -> 'LS1 4AP' (outward code, one space, inward code)."""
    compact = re.sub(r"\s+", "", value or "").upper()
    return f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact


def age_on(date_of_birth: date, today: date) -> int:
    return today.year - date_of_birth.year - ((today.month, today.day) < (date_of_birth.month, date_of_birth.day))


class NameForm(forms.Form):
    given_name = forms.CharField(
        label="First name", max_length=100, error_messages={"required": "Enter your first name"}
    )
    family_name = forms.CharField(
        label="Last name", max_length=100, error_messages={"required": "Enter your last name"}
    )
    # The honeypot: hidden from people (visually and from assistive technology), filled by bots.
    website = forms.CharField(required=False, max_length=200)


class DateOfBirthForm(forms.Form):
    """Day, month and year in three boxes (the NHS date input). `cleaned_data['date_of_birth']` a date."""

    day = forms.CharField(max_length=2, required=False)
    month = forms.CharField(max_length=2, required=False)
    year = forms.CharField(max_length=4, required=False)

    def clean(self):
        data = super().clean()
        parts = [(data.get(k) or "").strip() for k in ("day", "month", "year")]
        if not any(parts):
            raise ValidationError("Enter your date of birth")
        missing = [name for name, part in zip(("day", "month", "year"), parts, strict=True) if not part]
        if missing:
            raise ValidationError(f"Date of birth must include a {' and '.join(missing)}")
        if not all(p.isascii() and p.isdigit() for p in parts) or len(parts[2]) != 4:
            raise ValidationError("Date of birth must be a real date, for example 27 3 1990")
        try:
            value = date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError as exc:
            raise ValidationError("Date of birth must be a real date, for example 27 3 1990") from exc
        today = timezone.localdate()
        if value > today:
            raise ValidationError("Date of birth must be in the past")
        if age_on(value, today) > MAX_AGE_YEARS:
            raise ValidationError(f"Check your date of birth: you would be over {MAX_AGE_YEARS}")
        data["date_of_birth"] = value
        data["under_18"] = age_on(value, today) < MINIMUM_AGE
        return data


class NhsNumberForm(forms.Form):
    nhs_number = forms.CharField(label="NHS number (optional)", max_length=14, required=False)

    def clean_nhs_number(self):
        value = nhs.normalise(self.cleaned_data["nhs_number"])
        if value and not nhs.is_valid(value):
            raise ValidationError("Check your NHS number: it is 10 digits, like 485 777 3456. You can leave it blank")
        return value


class AddressForm(forms.Form):
    address_line_1 = forms.CharField(
        label="Address line 1", max_length=100, error_messages={"required": "Enter the first line of your address"}
    )
    address_line_2 = forms.CharField(label="Address line 2 (optional)", max_length=100, required=False)
    town = forms.CharField(label="Town or city", max_length=80, error_messages={"required": "Enter your town or city"})
    postcode = forms.CharField(label="Postcode", max_length=10, error_messages={"required": "Enter your postcode"})

    def clean_postcode(self):
        value = normalise_postcode(self.cleaned_data["postcode"])
        try:
            POSTCODE(value)
        except ValidationError as exc:
            raise ValidationError("Enter a real postcode, like LS1 4AP") from exc
        return value

    def address(self) -> str:
        d = self.cleaned_data
        return ", ".join(p for p in (d["address_line_1"], d.get("address_line_2", ""), d["town"]) if p)


class GpForm(forms.Form):
    gp_practice_name = forms.CharField(
        label="Name of your GP practice",
        max_length=200,
        error_messages={"required": "Enter the name of your GP practice"},
    )


class ContactForm(forms.Form):
    mobile = forms.CharField(label="Mobile phone number", max_length=20, required=False)
    phone = forms.CharField(label="Other phone number (optional)", max_length=20, required=False)
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        required=False,
        error_messages={"invalid": "Enter an email address in the correct format, like name@example.com"},
    )
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        error_messages={"required": "Select how we may contact you"},
    )

    def clean_mobile(self):
        value = self.cleaned_data["mobile"].strip()
        try:
            validate_uk_mobile(value)
        except ValidationError as exc:
            raise ValidationError("Enter a UK mobile number, like 07700 900982") from exc
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value and not re.fullmatch(r"\+?(?:[ ()-]*[0-9]){10,15}[ ()-]*", value):
            raise ValidationError("Enter a phone number, like 01632 960 001")
        return value

    def clean(self):
        data = super().clean()
        channels = set(data.get("channels") or [])
        if Channel.SMS in channels and not data.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", "Enter a mobile number, or untick text message")
        if Channel.EMAIL in channels and not data.get("email") and "email" not in self.errors:
            self.add_error("email", "Enter an email address, or untick email")
        if (
            Channel.VOICEMAIL in channels
            and not (data.get("mobile") or data.get("phone"))
            and not {"mobile", "phone"} & set(self.errors)
        ):
            self.add_error("phone", "Enter a phone number, or untick voicemail")
        return data


class ProblemForm(forms.Form):
    problem = forms.CharField(
        label="What would you like help with?",
        max_length=MAX_TEXT,
        widget=forms.Textarea,
        error_messages={
            "required": "Tell us what you would like help with",
            "max_length": f"Keep it under {MAX_TEXT} characters",
        },
    )
    duration = forms.ChoiceField(
        choices=Duration.choices, error_messages={"required": "Select how long you have felt like this"}
    )


class HopesForm(forms.Form):
    hopes = forms.CharField(
        label="What do you hope will change? (optional)",
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea,
        error_messages={"max_length": f"Keep it under {MAX_TEXT} characters"},
    )


# The risk screening questions (DOMAIN.md "Patients taking part": a positive answer
# shows the urgent help at once and reaches a clinician the same day). The wording is
# the service's to confirm with its clinical safety officer (hazard log H-41).
RISK_QUESTIONS = {
    "thoughts": "In the last 2 weeks, have you had thoughts that you would be better off dead, "
    "or of hurting yourself in some way?",
    "plans": "Have you made any plans to end your life?",
    "others": "Are you worried that you might harm someone else?",
}
YES_NO = [("yes", "Yes"), ("no", "No")]


class RiskForm(forms.Form):
    thoughts = forms.ChoiceField(label=RISK_QUESTIONS["thoughts"], choices=YES_NO)
    plans = forms.ChoiceField(label=RISK_QUESTIONS["plans"], choices=YES_NO)
    others = forms.ChoiceField(label=RISK_QUESTIONS["others"], choices=YES_NO)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = "Select yes or no"

    @property
    def positive(self) -> bool:
        return any(self.cleaned_data.get(k) == "yes" for k in RISK_QUESTIONS)


# Stated gender (the data set's IDS001 codes, patients.codes.Sex): "prefer not to say"
# is recorded as X, not known; describing oneself another way keeps the person's words.
GENDER_CHOICES = [
    (Sex.FEMALE.value, "Female"),
    (Sex.MALE.value, "Male"),
    ("other", "I describe myself another way"),
    ("prefer_not", "Prefer not to say"),
]
ETHNICITY_CHOICES = [(c.value, c.label) for c in Ethnicity if c not in (Ethnicity.NOT_STATED, Ethnicity.NOT_KNOWN)] + [
    (Ethnicity.NOT_STATED.value, "Prefer not to say")
]


class EqualityForm(forms.Form):
    """Optional: every answer may be left out or declined."""

    gender = forms.ChoiceField(choices=GENDER_CHOICES, required=False)
    gender_description = forms.CharField(
        label="How do you describe yourself? (optional)", max_length=100, required=False
    )
    ethnicity = forms.ChoiceField(choices=ETHNICITY_CHOICES, required=False)

    def values(self) -> dict:
        d = self.cleaned_data
        gender = d.get("gender") or ""
        return {
            "stated_gender": gender if gender in (Sex.FEMALE, Sex.MALE) else (Sex.NOT_KNOWN if gender else ""),
            "gender_identity": d.get("gender_description", "") if gender == "other" else "",
            "ethnicity": d.get("ethnicity") or Ethnicity.NOT_STATED,
        }


class CheckForm(forms.Form):
    """The check-answers page's submit: a second honeypot."""

    email_confirm = forms.CharField(required=False, max_length=200)
