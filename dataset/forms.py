from django import forms

from .models import ExtractKind


class ExtractForm(forms.Form):
    """A month (YYYY-MM), primary or refresh, and why (the extract is identifiable)."""

    month = forms.RegexField(
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        label="Reporting month",
        help_text="For example 2026-10",
        error_messages={"invalid": "Enter a month as YYYY-MM, for example 2026-10."},
    )
    kind = forms.ChoiceField(choices=ExtractKind.choices, initial=ExtractKind.PRIMARY, label="Submission window")
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        label="Why you are building it",
        help_text="The extract holds identifiable data; your reason is kept in the audit log.",
    )
