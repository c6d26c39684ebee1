import copy
import functools
from dataclasses import dataclass

from django import forms
from django.utils import timezone

from core.fields import LocalDateTimeField
from core.forms import BoundedDateField, DateInput, DateTimeLocalInput, bootstrap_widgets
from patients.codes import EndCode, ProblemDescriptor
from patients.models import Referral

from . import measures
from .codes import APPOINTMENT_TYPES, ATTENDANCE, CONSULTATION_MEDIUM, RISK_LEVELS
from .item_text import answer_label, item_label
from .services import RiskInput

RISK_FIELDS = ("risk_to_self", "risk_to_others", "risk_from_others", "level", "plan", "actions")


def instruments_for(referral: Referral) -> list[str]:
    """The measures the session form offers: PHQ-9 and GAD-7 always, the ADSM
    of the referral's problem descriptor when it has one, then WSAS and the
    phobia scales (DOMAIN.md "Measures": collected at every session)."""
    codes = ["PHQ9", "GAD7"]
    if referral.problem_descriptor:
        anxiety = measures.anxiety_instrument_for(referral.problem_descriptor)
        if anxiety not in codes:
            codes.append(anxiety)
    return codes + ["WSAS", "PHOBIA"]


def interventions_for(step: int | None):
    from stepped_care.decision_support import STEP2_INTERVENTIONS, STEP3_INTERVENTIONS

    return list(STEP3_INTERVENTIONS) if step == 3 else list(STEP2_INTERVENTIONS)


class _SharedChoicesSelect(forms.Select):
    def __deepcopy__(self, memo):
        copied = copy.copy(self)
        copied.attrs = self.attrs.copy()
        memo[id(self)] = copied
        return copied


class _SharedChoices:
    """For choice fields whose choices are national reference data that no form
    changes in place (a form may assign new ones, which replaces them on its own
    copy): a form's copy shares them. Django's deep copy of a choice field copies
    and normalises its choices twice (field and widget); for the session form's
    ~35 choice fields that was, in a profile, most of building the form."""

    widget = _SharedChoicesSelect

    def __deepcopy__(self, memo):
        return forms.Field.__deepcopy__(self, memo)


class _ReferenceChoiceField(_SharedChoices, forms.ChoiceField):
    pass


class _ItemField(_SharedChoices, forms.TypedChoiceField):
    """A measure item (0-3, 0-8, ...)."""


@functools.cache
def _item_fields(code: str) -> tuple[tuple[str, forms.Field], ...]:
    """The item fields of one instrument, built once per process: their labels
    and choices are reference data, and building ~28 choice fields on every
    request (normalising each one's choices) cost every session POST. Each form
    takes copies, as Django does with declared fields."""
    instrument = measures.INSTRUMENTS[code]
    choices = [("", "–")]

    def extra(number):
        # WSAS item 1 (work): "not applicable: not in work" (DOMAIN.md "Measures").
        if code == "WSAS" and number == 1:
            return [(measures.NOT_IN_WORK, "Not applicable: not in work")]
        return []

    return tuple(
        (
            f"{code}_{number}",
            _ItemField(
                label=item_label(code, number),
                choices=choices
                + [(v, answer_label(code, v)) for v in range(instrument.item_min, instrument.item_max + 1)]
                + extra(number),
                coerce=_item_value,
                empty_value=None,
                required=False,
            ),
        )
        for number in range(1, instrument.item_count + 1)
    )


def _item_value(value: str):
    """An item's answer: its number, or measures.NOT_IN_WORK (offered on WSAS item 1 only)."""
    return measures.NOT_IN_WORK if value == measures.NOT_IN_WORK else int(value)


@dataclass
class _MeasureGroup:
    """One instrument's items on the form; the bound fields are made only when
    the form is shown (a saved POST redirects without them)."""

    form: forms.Form
    code: str
    name: str
    fields: list[str]

    @property
    def bound(self):
        return [self.form[name] for name in self.fields]


class SessionForm(forms.Form):
    """Logs one care contact with its measures, in one form, from the keyboard."""

    started_at = LocalDateTimeField(label="Date and time", widget=DateTimeLocalInput)
    appointment_type = _ReferenceChoiceField(choices=list(APPOINTMENT_TYPES.items()), initial="02")
    attendance = _ReferenceChoiceField(choices=list(ATTENDANCE.items()), initial="5")
    medium = _ReferenceChoiceField(label="Consultation medium", choices=list(CONSULTATION_MEDIUM.items()), initial="02")
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=0, max_value=240, initial=30, required=False
    )
    interventions = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000)
    risk_recorded = forms.BooleanField(required=False, label="Risk identified in this session")
    risk_to_self = _ReferenceChoiceField(choices=[("", "–")] + list(RISK_LEVELS.items()), required=False)
    risk_to_others = _ReferenceChoiceField(choices=[("", "–")] + list(RISK_LEVELS.items()), required=False)
    risk_from_others = _ReferenceChoiceField(choices=[("", "–")] + list(RISK_LEVELS.items()), required=False)
    level = _ReferenceChoiceField(
        label="Overall risk level", choices=[("", "–")] + list(RISK_LEVELS.items()), required=False
    )
    plan = forms.CharField(
        label="Safety plan", widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=10000
    )
    actions = forms.CharField(
        label="Actions (who, by when)", widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10000
    )

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.fields["started_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        self.fields["interventions"].choices = interventions_for(referral.current_step)
        self.instrument_codes = instruments_for(referral)
        self.measure_groups = []
        for code in self.instrument_codes:
            names = []
            for name, prototype in _item_fields(code):
                self.fields[name] = copy.deepcopy(prototype)
                names.append(name)
            self.measure_groups.append(_MeasureGroup(self, code, measures.INSTRUMENTS[code].name, names))

    def clean_notes(self):
        return _no_nul(self.cleaned_data["notes"])

    def clean_plan(self):
        return _no_nul(self.cleaned_data["plan"])

    def clean_actions(self):
        return _no_nul(self.cleaned_data["actions"])

    def measure_items(self) -> dict[str, list]:
        return {
            group.code: [self.cleaned_data.get(name) for name in group.fields]
            for group in self.measure_groups
            if any(self.cleaned_data.get(name) is not None for name in group.fields)
        }

    def risk_input(self) -> RiskInput | None:
        data = self.cleaned_data
        if not any(data.get(f) for f in RISK_FIELDS):
            return None
        return RiskInput(**{f: data.get(f) or "" for f in RISK_FIELDS})

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "started_at": data["started_at"],
            "appointment_type": data["appointment_type"],
            "attendance": data["attendance"],
            "medium": data["medium"],
            "duration_minutes": data["duration_minutes"],
            "interventions": data["interventions"],
            "notes": data["notes"],
            "measure_items": self.measure_items(),
            "risk_recorded": data["risk_recorded"],
            "risk": self.risk_input(),
        }

    def instrument_config(self) -> dict:
        """What the form's script needs to show totals, bands and caseness as
        items are chosen: the same reference data the server scores with."""
        config = {}
        for code in self.instrument_codes:
            i = measures.INSTRUMENTS[code]
            config[code] = {
                "items": i.item_count,
                "scoring": i.scoring,
                "cutoff": i.cutoff,
                "cutoffInclusive": i.cutoff_inclusive,
                "bands": [list(b) for b in i.bands],
            }
        return config


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise forms.ValidationError("Remove the control characters from this text.")
    return value


class AssessmentForm(SessionForm):
    """The first contact: a session with measures, the problem descriptor and the step decision."""

    problem_descriptor = forms.ChoiceField(choices=[("", "–")] + list(ProblemDescriptor.choices))
    step = forms.TypedChoiceField(
        label="Step decision",
        choices=[
            (2, "Step 2: low intensity"),
            (3, "Step 3: high intensity"),
            (1, "Step 1: signpost / watchful waiting"),
        ],
        coerce=int,
    )
    step_reason = forms.CharField(
        label="Reason for the step decision", widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )
    exclusions = forms.MultipleChoiceField(
        required=False, widget=forms.CheckboxSelectMultiple, label="Exclusions for step 2"
    )
    override_reason = forms.CharField(
        label="Reason to offer step 2 despite an exclusion",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
    )

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, referral=referral, **kwargs)
        from stepped_care.decision_support import EXCLUSIONS

        self.fields["appointment_type"].choices = [(c, APPOINTMENT_TYPES[c]) for c in ("01", "03")]
        self.fields["appointment_type"].initial = "01"
        self.fields["problem_descriptor"].initial = referral.problem_descriptor
        self.fields["exclusions"].choices = [(code, label) for code, label in _pairs(EXCLUSIONS) if code != "under18"]


def _pairs(data):
    return list(data.items()) if isinstance(data, dict) else list(data)


class StepProposalForm(forms.Form):
    kind = forms.ChoiceField(
        label="Proposal",
        choices=[("step_up", "Step up"), ("step_down", "Step down"), ("discharge", "Discharge")],
    )
    to_step = forms.TypedChoiceField(
        label="To step",
        choices=[("", "–"), (1, "Step 1"), (2, "Step 2"), (3, "Step 3")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    end_code = forms.ChoiceField(
        label="End code (discharge)", choices=[("", "–")] + list(EndCode.choices), required=False
    )
    effective_on = BoundedDateField(label="Date", widget=DateInput, initial=timezone.localdate)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class RiskEventForm(forms.Form):
    risk_to_self = forms.ChoiceField(choices=list(RISK_LEVELS.items()))
    risk_to_others = forms.ChoiceField(choices=list(RISK_LEVELS.items()))
    risk_from_others = forms.ChoiceField(choices=list(RISK_LEVELS.items()))
    level = forms.ChoiceField(label="Overall risk level", choices=list(RISK_LEVELS.items()))
    plan = forms.CharField(label="Safety plan", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    actions = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=10000)

    def risk_input(self) -> RiskInput:
        return RiskInput(**{f: self.cleaned_data.get(f) or "" for f in RISK_FIELDS})


class AmendmentForm(forms.Form):
    text = forms.CharField(label="Amendment", widget=forms.Textarea(attrs={"rows": 3}), max_length=10000)
    reason = forms.CharField(label="Reason for amending an ended record", max_length=1000)


class CaseloadFilterForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    step = forms.TypedChoiceField(
        choices=[("", "Any step"), (2, "Step 2"), (3, "Step 3")], coerce=int, empty_value=None, required=False
    )
    problem_descriptor = forms.ChoiceField(
        choices=[("", "Any problem")] + list(ProblemDescriptor.choices), required=False, label="Problem"
    )
    risk_only = forms.BooleanField(required=False, label="Risk only")
    overdue_only = forms.BooleanField(required=False, label="Review overdue")
    sort = forms.ChoiceField(
        required=False,
        choices=[
            ("risk", "Risk first"),
            ("review", "Longest since review"),
            ("patient", "Patient"),
            ("last_contact", "Last contact"),
            ("phq9", "PHQ-9"),
            ("gad7", "GAD-7"),
            ("sessions", "Sessions"),
            ("step", "Step"),
            ("problem", "Problem"),
        ],
    )
