from __future__ import annotations

from datetime import date

from django import forms
from django.utils import timezone

from accounts.models import Role, Service, Team, User
from core import dates
from core.forms import BoundedDateField

from . import periods
from .models import ExportFormat


class DateInput(forms.DateInput):
    input_type = "date"


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        if isinstance(value, date):
            return f"{value:%Y-%m}"
        return value


class ReportFilterForm(forms.Form):
    """The period and the service or team a report covers. A service manager
    reports on their own service; a system administrator chooses the service."""

    period = forms.ChoiceField(choices=periods.KINDS, initial=periods.YEAR, required=False)
    month = BoundedDateField(
        widget=MonthInput,
        input_formats=["%Y-%m", "%Y-%m-%d"],
        required=False,
        label="Month in the period",
        bound=dates.REPORT,
    )
    date_from = BoundedDateField(widget=DateInput, required=False, label="From", bound=dates.REPORT)
    date_to = BoundedDateField(widget=DateInput, required=False, label="To", bound=dates.REPORT)
    service = forms.ModelChoiceField(queryset=Service.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False, empty_label="All teams")

    def __init__(self, data=None, *, user: User, **kwargs):
        super().__init__(data, **kwargs)
        self.user = user
        if user.role == Role.SYSTEM_ADMIN:
            self.fields["service"].queryset = Service.objects.all()
            self.fields["service"].required = True
            self.fields["service"].empty_label = None
            self.fields["team"].queryset = Team.objects.select_related("service")
        else:
            del self.fields["service"]
            self.fields["team"].queryset = Team.objects.filter(service_id=user.service_id).select_related("service")
        self.fields["month"].initial = timezone.localdate().replace(day=1)

    def clean(self):
        data = super().clean()
        kind = data.get("period") or periods.YEAR
        anchor = data.get("month") or timezone.localdate()
        try:
            data["period_obj"] = periods.period_for(kind, anchor, start=data.get("date_from"), end=data.get("date_to"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
        if data["period_obj"].days > 366 * 5:
            raise forms.ValidationError("Choose a period of at most five years.")
        # A month or quarter near the bound reaches past it (a financial year of
        # December 2100 ends in March 2101): the period itself stays inside.
        for day in (data["period_obj"].start, data["period_obj"].end):
            if error := dates.bound_error(day, dates.REPORT):
                raise forms.ValidationError(error)
        service, team = data.get("service"), data.get("team")
        if service and team and team.service_id != service.pk:
            self.add_error("team", "This team belongs to another service.")
        return data

    def default_data(self) -> dict:
        """What an empty form stands for: this financial year, and for a system
        administrator their own service (or the first)."""
        data = {"period": periods.YEAR, "month": f"{timezone.localdate():%Y-%m}"}
        if "service" in self.fields:
            first = Service.objects.order_by("name", "pk").values_list("pk", flat=True).first()
            service = self.user.service_id or first
            if service:
                data["service"] = str(service)
        return data

    def filters(self) -> dict:
        """The filters as plain values, for the selector, the audit log and a job."""
        data = self.cleaned_data
        period = data["period_obj"]
        service = data.get("service")
        team = data.get("team")
        return {
            "service_id": service.pk if service else (team.service_id if team else self.user.service_id),
            "team_id": team.pk if team else None,
            "date_from": period.start.isoformat(),
            "date_to": period.end.isoformat(),
            "label": period.label,
        }


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportFormat.choices, initial=ExportFormat.CSV)
    identifiable = forms.BooleanField(
        required=False,
        label="Identifiable (names, NHS number, date of birth)",
        help_text="Only with the identifiable-export permission, and a stated reason. Audited.",
    )
    reason = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}), label="Reason")

    def clean(self):
        data = super().clean()
        if data.get("identifiable") and not (data.get("reason") or "").strip():
            self.add_error("reason", "State why an identifiable export is needed.")
        return data
