"""The date-time fields of the web forms and the API, both on core/datetimes.py."""

from __future__ import annotations

from datetime import datetime

from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import datetimes
from .forms import BoundedDateTimeField


class LocalDateTimeField(BoundedDateTimeField):
    """A form's date and time (datetime-local: no offset): read in the
    service's zone; a time skipped or repeated by a clock change is refused;
    its date within the supported range (core/dates.py)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            # The field's own input formats first (the session form's UK "dd/mm/yyyy hh:mm"),
            # then ISO 8601: either way the wall-clock time goes through the one parser.
            for fmt in self.input_formats:
                try:
                    value = datetime.strptime(value.strip(), fmt)  # noqa: DTZ007 - read in the service's zone below
                    break
                except (ValueError, TypeError):
                    continue
        try:
            return datetimes.parse(value, require_offset=False)
        except datetimes.DateTimeInputError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from None


@extend_schema_field(OpenApiTypes.DATETIME)
class OffsetDateTimeField(serializers.DateTimeField):
    """An API date-time: ISO 8601 with its UTC offset (400 without one, and a
    400 naming a local time skipped or repeated by a clock change)."""

    def to_internal_value(self, value):
        if not isinstance(value, str):
            self.fail("invalid", format="ISO 8601 with offset")
        try:
            return datetimes.parse(value, require_offset=True)
        except datetimes.DateTimeInputError as exc:
            raise serializers.ValidationError(str(exc), code="invalid") from None


class NationalCodeField(serializers.ChoiceField):
    """A national code of the data set (patients/national_codes.py, decision 022):
    the code in and out; any other value, such as a local value stored before
    national codes ("gp", "self"), is a 400 whose message names the valid codes."""

    def __init__(self, *, list_name: str, **kwargs):
        super().__init__(**kwargs)
        valid = ", ".join(str(code) for code in self.choices)
        self.error_messages["invalid_choice"] = f'"{{input}}" is not a national {list_name} code. Use one of: {valid}.'
