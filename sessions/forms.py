import copy
import functools
from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.functional import cached_property

from core.fields import LocalDateTimeField
from core.forms import BoundedDateField, DateInput, bootstrap_widgets
from patients.codes import EndCode, ProblemDescriptor
from patients.models import Referral

from . import measures
from .codes import APPOINTMENT_TYPES, ATTENDANCE, ATTENDED, CONSULTATION_MEDIUM, RISK_LEVELS
from .item_text import answer_label, item_label
from .services import RiskInput

RISK_FIELDS = ("risk_to_self", "risk_to_others", "risk_from_others", "level", "plan", "actions")
RISK_REQUIRED = {
    "risk_to_self": "Choose the risk to self.",
    "risk_to_others": "Choose the risk to others.",
    "risk_from_others": "Choose the risk from others.",
    "level": "Choose the overall risk level.",
    "plan": "Write the safety plan.",
}
STARTED_AT_FORMAT = "%d/%m/%Y %H:%M"


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
    """Every intervention the service records, the case's step's first (issue 15:
    a step 2 case may still be given a step 3 intervention on a step up)."""
    from stepped_care.decision_support import STEP2_INTERVENTIONS, STEP3_INTERVENTIONS

    if step == 3:
        return list(STEP3_INTERVENTIONS) + list(STEP2_INTERVENTIONS)
    return list(STEP2_INTERVENTIONS) + list(STEP3_INTERVENTIONS)


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
class _GridRow:
    name: str
    label: str
    value: str
    errors: list


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

    @property
    def answers(self) -> list[tuple[str, str]]:
        """The grid's columns: (value, label), the empty choice left out."""
        field = self.form.fields[self.fields[0]]
        # WSAS item 1's "not in work" is its own row under the item, not a column
        return [(str(v), _answer_text(label)) for v, label in field.choices if v not in ("", measures.NOT_IN_WORK)]

    @property
    def rows(self) -> list[_GridRow]:
        """The grid's rows: one per item, with the answer given (a string, "" if none)."""
        rows = []
        for name in self.fields:
            bound = self.form[name]
            value = bound.value()
            rows.append(_GridRow(name, bound.label, "" if value in (None, "") else str(value), bound.errors))
        return rows

    @property
    def is_adsm(self) -> bool:
        return measures.INSTRUMENTS[self.code].role == "adsm"


def _answer_text(label: str) -> str:
    """ "0 – Not at all" -> "Not at all" (the grid shows the digit in its own span)."""
    head, sep, tail = str(label).partition(" – ")
    return tail if sep else ""


class SessionForm(forms.Form):
    """Logs one care contact with its measures, in one form, from the keyboard."""

    # One text box (one tab stop), now by default, in the UK format; ISO input is accepted too.
    started_at = LocalDateTimeField(
        label="Date and time",
        widget=forms.DateTimeInput(
            format=STARTED_AT_FORMAT,
            attrs={"autocomplete": "off", "spellcheck": "false", "aria-describedby": "started_at-hint"},
        ),
        input_formats=[STARTED_AT_FORMAT, "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S"],
    )
    appointment_type = _ReferenceChoiceField(choices=list(APPOINTMENT_TYPES.items()), initial="02")
    attendance = _ReferenceChoiceField(choices=list(ATTENDANCE.items()), initial="5")
    medium = _ReferenceChoiceField(label="Consultation medium", choices=list(CONSULTATION_MEDIUM.items()), initial="02")
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)", min_value=0, max_value=240, initial=30, required=False
    )
    interventions = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=20000)
    phq9_item9_not_asked = forms.BooleanField(
        required=False,
        label="Item 9 not asked",
        help_text="Tick only when the risk question was not asked: it is never skipped by leaving it empty.",
    )
    confirm_no_adsm = forms.BooleanField(required=False, label="Save without it this session")
    risk_recorded = forms.BooleanField(required=False, label="Risk identified in this session")
    # Set (hidden) when the form showed the patient's answers before the appointment:
    # saving confirms them (questionnaires, issue 20 item 3).
    confirm_patient_answers = forms.BooleanField(required=False, widget=forms.HiddenInput)
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
        self.fields["interventions"].widget.attrs["class"] = "form-check-input"
        self.instrument_codes = instruments_for(referral)
        self.measure_groups = []
        for code in self.instrument_codes:
            names = []
            for name, prototype in _item_fields(code):
                self.fields[name] = copy.deepcopy(prototype)
                names.append(name)
            self.measure_groups.append(_MeasureGroup(self, code, measures.INSTRUMENTS[code].name, names))
        adsm = self.adsm_code
        if adsm:
            self.fields["confirm_no_adsm"].label = f"{measures.INSTRUMENTS[adsm].name} not collected this session"
        self.patient_answered_at = None
        if not self.is_bound:
            self._initial_from_last_session()
            self._initial_from_patient_answers()

    def _initial_from_last_session(self) -> None:
        """A routine session repeats the last one's medium and interventions
        (issue 15): one query, on the form shown, never on a POST."""
        from .models import TherapySession

        last = (
            TherapySession.objects.filter(referral=self.referral)
            .order_by("-started_at")
            .values("medium", "interventions")
            .first()
        )
        if last:
            self.fields["medium"].initial = last["medium"]
            known = {code for code, _ in self.fields["interventions"].choices}
            self.fields["interventions"].initial = [i for i in last["interventions"] if i in known]

    def _initial_from_patient_answers(self) -> None:
        """The patient's answers before this appointment (questionnaires, issue 20
        item 3), filled in for the practitioner to go through with the patient and
        confirm: the latest unconfirmed answers of each measure since the last
        session. A draft's answers win. One query, on the form shown only."""
        from datetime import UTC, datetime

        from django.db.models import DateTimeField, Max, OuterRef, Subquery, Value
        from django.db.models.functions import Coalesce

        from .models import MeasureScore, TherapySession

        last_session = (
            TherapySession.objects.filter(referral=self.referral)
            .values("referral")
            .annotate(last=Max("started_at"))
            .values("last")
        )
        rows = (
            MeasureScore.objects.awaiting_confirmation()
            .filter(referral=self.referral, instrument__in=self.instrument_codes)
            .filter(
                taken_at__gt=Coalesce(
                    Subquery(last_session.filter(referral=OuterRef("referral"))[:1]),
                    Value(datetime(1900, 1, 1, tzinfo=UTC), output_field=DateTimeField()),
                )
            )
            .order_by("instrument", "-taken_at", "-id")
            .distinct("instrument")
            .values_list("instrument", "items", "not_in_work", "completed_at")
        )
        for code, items, not_in_work, completed_at in rows:
            names = [f"{code}_{n}" for n in range(1, len(items) + 1)]
            if any(self.initial.get(name) not in (None, "") for name in names):
                continue
            for number, (name, value) in enumerate(zip(names, items, strict=True), start=1):
                if code == "WSAS" and number == 1 and not_in_work:
                    self.initial[name] = measures.NOT_IN_WORK
                elif value is not None:
                    self.initial[name] = value
            if self.patient_answered_at is None or completed_at > self.patient_answered_at:
                self.patient_answered_at = completed_at
            self.initial["confirm_patient_answers"] = True

    @property
    def adsm_code(self) -> str | None:
        """The referral's ADSM, when its problem descriptor has one."""
        code = measures.anxiety_instrument_for(self.referral.problem_descriptor or "")
        return code if code != "GAD7" and code in self.instrument_codes else None

    @cached_property
    def due_codes(self) -> list[str]:
        """The measures due at this session (sessions/measure_schedule.py); read
        only when the form is shown. A measure with an answer typed is shown too."""
        from .measures_due import measures_due

        due = measures_due(self.referral, self.instrument_codes)
        for group in self.measure_groups:
            if group.code not in due and any(row.value for row in group.rows):
                due.append(group.code)
        return [code for code in self.instrument_codes if code in due]

    @property
    def due_groups(self):
        return [g for g in self.measure_groups if g.code in self.due_codes]

    @property
    def more_groups(self):
        return [g for g in self.measure_groups if g.code not in self.due_codes]

    def clean(self):
        """Nothing silent (issue 15): a PHQ-9 begun with item 9 unanswered needs
        "item 9 not asked"; a missing ADSM is confirmed; the risk assessment's
        fields are each required when item 9 is above 0 or risk is ticked (the
        service checks the same again, DOMAIN.md "Measures")."""
        data = super().clean()
        if data.get("attendance") not in ATTENDED:
            return data
        phq9 = [data.get(f"PHQ9_{n}") for n in range(1, 10)]
        if any(v is not None for v in phq9) and phq9[8] is None and not data.get("phq9_item9_not_asked"):
            self.add_error(
                "PHQ9_9",
                "PHQ-9 item 9 (the risk question) is unanswered: answer it, or tick “Item 9 not asked”.",
            )
        adsm = self.adsm_code
        if adsm and not data.get("confirm_no_adsm"):
            group = next(g for g in self.measure_groups if g.code == adsm)
            if all(data.get(name) is None for name in group.fields):
                name = measures.INSTRUMENTS[adsm].name
                self.add_error(
                    "confirm_no_adsm",
                    f"The {name} (this problem's anxiety measure) has no answers: answer it, "
                    f"or tick “{name} not collected this session”.",
                )
        if (phq9[8] or 0) > 0 or data.get("risk_recorded"):
            missing = [f for f in RISK_REQUIRED if not (data.get(f) or "").strip()]
            if missing:
                self.add_error(
                    None,
                    "PHQ-9 item 9 is above 0 or risk was recorded: complete the risk assessment "
                    "(risk to self, to others, from others, level and plan) before saving.",
                )
                for f in missing:
                    self.add_error(f, RISK_REQUIRED[f])
        return data

    def error_links(self) -> list[tuple[str, str]]:
        """The error summary: (the id to link to, the message), in page order."""
        order = ["started_at", "appointment_type", "attendance", "medium", "duration_minutes"]
        order += [name for g in self.measure_groups for name in g.fields]
        order += ["phq9_item9_not_asked", "confirm_no_adsm", "interventions", "notes", "risk_recorded"]
        order += list(RISK_FIELDS)
        order += [name for name in self.fields if name not in order]
        links = []
        for name in order:
            for message in self.errors.get(name, []):
                links.append((self._anchor(name), message))
        return links

    def _anchor(self, name: str) -> str:
        for group in self.measure_groups:
            if name in group.fields:
                return f"id_{name}_{group.answers[0][0]}"
        if name == "interventions":
            return "id_interventions_0"
        return self[name].id_for_label or f"id_{name}"

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
            "confirm_patient_answers": bool(data.get("confirm_patient_answers")),
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

    problem_descriptor = forms.ChoiceField(
        label="Primary problem (ICD-10)", choices=[("", "–")] + list(ProblemDescriptor.choices)
    )
    secondary_problems = forms.MultipleChoiceField(
        label="Secondary problems",
        choices=ProblemDescriptor.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text="Any others present (IDS603); the primary is the one treated.",
    )
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
