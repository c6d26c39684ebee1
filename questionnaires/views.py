"""The patient's pages (public, no log-in: core.public.public_view): the link
asks for the date of birth, then one measure per page, a check-your-answers
page, and a confirmation (or, for a PHQ-9 item 9 above 0, where to get help
now). Phone-sized and working without JavaScript: plain forms and radios.

After the date of birth the link's id is kept in the browser's session and the
token leaves the address bar; every page checks the link is still usable."""

from __future__ import annotations

import functools
from datetime import date, datetime

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from accounts.audit import audit_record
from accounts.models import AccessAction
from core.public import public_view
from sessions import measures
from sessions.item_text import ANSWERS, ITEMS

from . import services

SESSION_KEY = "questionnaire_link"
STEM = {
    "PHQ9": "Over the last 2 weeks, how often have you been bothered by this?",
    "GAD7": "Over the last 2 weeks, how often have you been bothered by this?",
    "WSAS": "Because of your problem, how much is your ability to do this impaired? "
    "0 means not at all impaired and 8 means very severely impaired.",
}
NOT_MATCHED = (
    "We could not open your questionnaire with these details. Check your date of birth, "
    "or contact the service on the number in your appointment letter."
)


def _rate_limited(request) -> bool:
    """Per address, per hour (QUESTIONNAIRE_RATE_PER_HOUR), in the shared cache:
    counted on every link-page request, right or wrong."""
    key = f"questionnaire-rate:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=3600)
    try:
        count = cache.incr(key)
    except ValueError:
        count = 1
    return count > settings.QUESTIONNAIRE_RATE_PER_HOUR


def _too_many(request):
    response = render(request, "questionnaires/too_many.html", status=429)
    response["Retry-After"] = "3600"
    return response


def _date_of_birth(data) -> date | None:
    try:
        return date(int(data.get("year", "")), int(data.get("month", "")), int(data.get("day", "")))
    except (TypeError, ValueError, OverflowError):
        return None


@public_view
@require_http_methods(["GET", "POST"])
def start(request, token: str):
    """GET: the date-of-birth question (the same page for every token). POST:
    day, month, year; a match opens the questionnaire, anything else shows the
    same error, whatever its cause (wrong, expired, used or locked link, or a
    wrong date)."""
    if _rate_limited(request):
        return _too_many(request)
    context = {"values": {}, "error": ""}
    if request.method == "POST":
        dob = _date_of_birth(request.POST)
        link = services.link_open(token=token[:100], date_of_birth=dob) if dob else None
        if link is not None:
            request.session.cycle_key()
            request.session[SESSION_KEY] = _kept(link)
            return redirect("questionnaires:measure", step=1)
        context = {
            "values": {k: request.POST.get(k, "")[:4] for k in ("day", "month", "year")},
            "error": NOT_MATCHED if dob else "Enter your date of birth as numbers: day, month and year.",
        }
    return render(request, "questionnaires/start.html", context)


def _kept(link) -> dict:
    """What the browser's session keeps of the link it opened: its id, the
    measures, when it expires and the answers so far (the patient's own)."""
    return {
        "id": str(link.pk),
        "instruments": list(link.instruments),
        "expires_at": link.expires_at.isoformat(),
        "answers": dict(link.answers),
    }


def _link(request):
    """The link, read again (its use, lock and expiry) for every write and the check page."""
    kept = request.session.get(SESSION_KEY)
    return services.link_verified(kept["id"]) if isinstance(kept, dict) else None


class _KeptLink:
    """The session's copy of a verified link, for showing a measure page without
    a database read; a link used or locked meanwhile is refused at the next POST."""

    def __init__(self, kept: dict):
        self.pk = kept["id"]
        self.instruments = kept["instruments"]
        self.answers = kept["answers"]


def _kept_link(request):
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or datetime.fromisoformat(kept["expires_at"]) <= timezone.now():
        return None
    return _KeptLink(kept)


def _ended(request):
    request.session.pop(SESSION_KEY, None)
    return render(request, "questionnaires/ended.html", status=410)


@functools.cache
def _options(code: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Per item of the instrument: its (value, answer words) choices, built once a process."""
    instrument = measures.INSTRUMENTS[code]
    labels = ANSWERS.get(code)
    items = []
    for number in range(1, instrument.item_count + 1):
        options = [
            (str(v), labels[v] if labels and v < len(labels) else str(v))
            for v in range(instrument.item_min, instrument.item_max + 1)
        ]
        if code == "WSAS" and number == 1:
            options.append((measures.NOT_IN_WORK, "Not applicable: I am not in work"))
        items.append(tuple(options))
    return tuple(items)


def _radios(name: str, options, given: str) -> str:
    """nhsuk-frontend's radios items (components/radios/template.njk), written
    here rather than in a template loop: the page's 36-odd radios rendered by the
    template engine cost more than the rest of the request (bench/questionnaires.py)."""
    parts = []
    for index, (value, label) in enumerate(options, start=1):
        checked = " checked" if value == given else ""
        parts.append(
            f'<div class="nhsuk-radios__item"><input class="nhsuk-radios__input" id="{name}-{index}" '
            f'name="{name}" type="radio" value="{escape(value)}"{checked}>'
            f'<label class="nhsuk-label nhsuk-radios__label" for="{name}-{index}">{escape(label)}</label></div>'
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value and label is escaped above


def _questions(code: str, answers: list | None, errors: dict) -> list[dict]:
    wording = ITEMS.get(code, [])
    rows = []
    for number, options in enumerate(_options(code), start=1):
        name = f"{code}_{number}"
        given = answers[number - 1] if answers and number <= len(answers) else None
        given = "" if given is None else str(given)
        rows.append(
            {
                "name": name,
                "number": str(number),
                "text": wording[number - 1] if number <= len(wording) else f"Question {number}",
                "options": options,
                "given": given,
                "radios": _radios(name, options, given),
                "error": errors.get(name, ""),
            }
        )
    return rows


@public_view
@require_http_methods(["GET", "POST"])
def measure(request, step: int):
    """One measure (the link's step-th), every item required. POST saves the
    answers and goes on to the next measure, or to the check page."""
    link = _link(request) if request.method == "POST" else _kept_link(request)
    if link is None:
        return _ended(request)
    if not 1 <= step <= len(link.instruments):
        return redirect("questionnaires:measure", step=1)
    code = link.instruments[step - 1]
    errors: dict[str, str] = {}
    answers = link.answers.get(code)
    if request.method == "POST":
        instrument = measures.INSTRUMENTS[code]
        items = []
        for number in range(1, instrument.item_count + 1):
            raw = request.POST.get(f"{code}_{number}", "")
            allowed = {str(v) for v in range(instrument.item_min, instrument.item_max + 1)}
            if code == "WSAS" and number == 1:
                allowed.add(measures.NOT_IN_WORK)
            if raw not in allowed:
                errors[f"{code}_{number}"] = f"Select an answer for question {number}"
                items.append(None)
            else:
                items.append(raw if raw == measures.NOT_IN_WORK else int(raw))
        if not errors:
            services.answers_save(link=link, code=code, items=items)
            request.session[SESSION_KEY] = _kept(link)
            if request.GET.get("change") or step == len(link.instruments):
                return redirect("questionnaires:check")
            return redirect("questionnaires:measure", step=step + 1)
        answers = items
    context = {
        "code": code,
        "name": measures.INSTRUMENTS[code].name,
        "step": step,
        "steps": len(link.instruments),
        "stem": STEM.get(code, "Choose the answer that fits best."),
        "questions": _questions(code, answers, errors),
        "errors": [(f"{name}-1", message) for name, message in errors.items()],
        "back": reverse("questionnaires:measure", args=[step - 1]) if step > 1 else "",
    }
    return render(request, "questionnaires/measure.html", context)


def _chosen(question: dict) -> str:
    return next((label for value, label in question["options"] if value == question["given"]), "")


@public_view
@require_http_methods(["GET", "POST"])
def check(request):
    """GET: every answer with a link to change it (a read of the patient's own
    answers, audited as theirs). POST: submits; a measure left unanswered sends
    the patient back to it."""
    link = _link(request)
    if link is None:
        return _ended(request)
    missing = [i for i, code in enumerate(link.instruments, start=1) if code not in link.answers]
    if missing:
        return redirect("questionnaires:measure", step=missing[0])
    if request.method == "POST":
        submitted = services.questionnaire_submit(link=link)
        if submitted is None:
            return _ended(request)
        request.session.pop(SESSION_KEY, None)
        return render(request, "questionnaires/done.html", {"item9": submitted.item9_risk})
    audit_record(
        user=services.PATIENT_ACTOR,
        action=AccessAction.VIEW,
        object_type="questionnairelink",
        object_id=link.pk,
        patient_id=link.referral.patient_id,
    )
    sections = []
    for step, code in enumerate(link.instruments, start=1):
        questions = _questions(code, link.answers.get(code), {})
        sections.append(
            {
                "name": measures.INSTRUMENTS[code].name,
                "change": reverse("questionnaires:measure", args=[step]) + "?change=1",
                "rows": [(q["text"], _chosen(q)) for q in questions],
            }
        )
    return render(request, "questionnaires/check.html", {"sections": sections})


app_name = "questionnaires"
urlpatterns = [
    path("q/<str:token>/", start, name="start"),
    path("questionnaire/<int:step>/", measure, name="measure"),
    path("questionnaire/check/", check, name="check"),
]
