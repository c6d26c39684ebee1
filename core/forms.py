from datetime import datetime

from django import forms as django_forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from . import dates


def apply_validation_error(form, exc: ValidationError) -> None:
    """Puts a service's ValidationError onto the form, beside the fields it names,
    so the page shows it and keeps everything typed."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            target = field if field in form.fields else None
            for error in errors:
                form.add_error(target if field != NON_FIELD_ERRORS else None, error)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def bootstrap_widgets(form) -> None:
    """Gives plain (non-crispy) filter forms Bootstrap's control classes."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, django_forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, django_forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


class DateInput(django_forms.DateInput):
    """A native date picker; it needs ISO dates whatever the locale's display format."""

    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateTimeLocalInput(django_forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class BoundedDateField(django_forms.DateField):
    """A date field that refuses dates outside the supported range
    (core/dates.py) with a field error."""

    def __init__(self, *args, bound=dates.SUPPORTED, **kwargs):
        self.bound = bound
        super().__init__(*args, **kwargs)

    def validate(self, value):
        super().validate(value)
        if value is not None and (error := dates.bound_error(value, self.bound)):
            raise ValidationError(error, code="out_of_range")


class BoundedDateTimeField(django_forms.DateTimeField):
    """A date and time whose date is within the supported range (core/dates.py)."""

    def validate(self, value):
        super().validate(value)
        # to_python gave the value in the current time zone, as typed: its date is the day meant
        if isinstance(value, datetime) and (error := dates.bound_error(value.date())):
            raise ValidationError(error, code="out_of_range")
