"""The public self-referral form (issue 20 item 1): one question per page, the
answers held server-side in the person's Django session (never in a URL), each
page a plain HTML form that works without JavaScript, a back link on every page,
a check-your-answers page with change links, then one submit.

Safe by construction (item 4): every page counts against a per-address rate
limit, the submit against per-address and per-form limits (core/ratelimit.py,
Redis); a filled honeypot or a submit sooner than SELF_REFERRAL_MIN_SECONDS after
the first question is dropped and answered exactly like a real submit."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from django import forms as django_forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, re_path, reverse
from django.utils import timezone

from core import ratelimit
from core.public import public_view

from . import forms, services
from .codes import Channel, Duration
from .reference import new_reference

SESSION_KEY = "selfreferral"
DONE_KEY = "selfreferral_done"


@dataclass(frozen=True)
class Step:
    slug: str
    form: type
    template: str
    title: str


STEPS = [
    Step("name", forms.NameForm, "selfreferral/public/name.html", "What is your name?"),
    Step(
        "date-of-birth", forms.DateOfBirthForm, "selfreferral/public/date_of_birth.html", "What is your date of birth?"
    ),
    Step("nhs-number", forms.NhsNumberForm, "selfreferral/public/nhs_number.html", "What is your NHS number?"),
    Step("address", forms.AddressForm, "selfreferral/public/address.html", "What is your address?"),
    Step("gp", forms.GpForm, "selfreferral/public/gp.html", "Which GP practice are you registered with?"),
    Step("contact", forms.ContactForm, "selfreferral/public/contact.html", "How can we contact you?"),
    Step("problem", forms.ProblemForm, "selfreferral/public/problem.html", "What would you like help with?"),
    Step("hopes", forms.HopesForm, "selfreferral/public/hopes.html", "What do you hope will change?"),
    Step("risk", forms.RiskForm, "selfreferral/public/risk.html", "Your safety"),
    Step("about-you", forms.EqualityForm, "selfreferral/public/about_you.html", "About you (optional)"),
]
BY_SLUG = {s.slug: s for s in STEPS}


def _limited(request):
    """The per-address limit on every public page of the form; a 429 page when over it."""
    if not ratelimit.hit(
        bucket="public",
        who=ratelimit.client_address(request),
        limit=settings.PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE,
        window_seconds=60,
    ):
        return ratelimit.too_many_requests(request)
    return None


def _state(request, *, create: bool = False) -> dict | None:
    state = request.session.get(SESSION_KEY)
    if state is None and create:
        state = {"key": uuid.uuid4().hex, "started": timezone.now().isoformat(), "data": {}, "bot": False}
        request.session[SESSION_KEY] = state
    return state


def _raw(form_class, post) -> dict:
    """What was posted for `form_class`'s fields, as typed (lists for multiple choices)."""
    out = {}
    for name, field in form_class.base_fields.items():
        if isinstance(field, django_forms.MultipleChoiceField):
            out[name] = post.getlist(name)
        else:
            out[name] = post.get(name, "")
    return out


def _bound(step: Step, state: dict):
    data = state["data"].get(step.slug)
    return step.form(data) if data is not None else None


def _first_missing(state: dict | None, *, before: str | None = None) -> Step | None:
    for step in STEPS:
        if step.slug == before:
            return None
        if state is None or step.slug not in state["data"]:
            return step
    return None


def _url(step: Step) -> str:
    return reverse("selfreferral:step", args=[step.slug])


def _next_url(step: Step, *, change: bool) -> str:
    index = STEPS.index(step)
    if change or index + 1 == len(STEPS):
        return reverse("selfreferral:check")
    return _url(STEPS[index + 1])


def _back_url(step: Step, *, change: bool) -> str:
    index = STEPS.index(step)
    if change:
        return reverse("selfreferral:check")
    return _url(STEPS[index - 1]) if index else reverse("selfreferral:start")


@public_view
def start(request):
    """GET: what the form asks and who it is for; the urgent help first."""
    if (limited := _limited(request)) is not None:
        return limited
    return render(request, "selfreferral/public/start.html", {"first": _url(STEPS[0])})


@public_view
def step(request, slug: str):
    """GET/POST one question page. A valid POST keeps the answers and goes on; an
    invalid one shows the errors with what was typed. Pages ahead of the first
    unanswered one send the person back to it."""
    current = BY_SLUG.get(slug)
    if current is None:
        raise Http404
    if (limited := _limited(request)) is not None:
        return limited
    state = _state(request, create=current is STEPS[0])
    missing = _first_missing(state, before=current.slug)
    if missing is not None:
        return redirect(_url(missing))
    change = request.GET.get("change") == "1"
    if request.method == "POST":
        form = current.form(request.POST)
        if form.is_valid():
            return _answered(request, state, current, form, change=change)
    else:
        stored = state["data"].get(current.slug)
        form = current.form(initial=stored) if stored else current.form()
    context = {
        "form": form,
        "step": current,
        "back": _back_url(current, change=change),
        "action": request.get_full_path(),
        "number": STEPS.index(current) + 1,
        "total": len(STEPS),
    }
    if current.form is forms.DateOfBirthForm:
        context["date_parts"] = [(form["day"], 2, "Day"), (form["month"], 2, "Month"), (form["year"], 4, "Year")]
    return render(request, current.template, context)


def _answered(request, state: dict, current: Step, form, *, change: bool):
    if current.form is forms.DateOfBirthForm and form.cleaned_data["under_18"]:
        # Nothing is kept: the whole draft goes (DOMAIN.md "Patients taking part").
        request.session.pop(SESSION_KEY, None)
        return redirect("selfreferral:under_18")
    if current.form is forms.NameForm and form.cleaned_data.get("website"):
        state["bot"] = True
    state["data"][current.slug] = _raw(current.form, request.POST)
    request.session.modified = True
    if current.form is forms.RiskForm and form.positive:
        return redirect(reverse("selfreferral:urgent") + ("?change=1" if change else ""))
    return redirect(_next_url(current, change=change))


@public_view
def urgent(request):
    """GET: shown at once after a yes to a risk question: the urgent help, then the way on."""
    if (limited := _limited(request)) is not None:
        return limited
    state = _state(request)
    if state is None or "risk" not in state["data"]:
        return redirect("selfreferral:start")
    change = request.GET.get("change") == "1"
    risk = BY_SLUG["risk"]
    return render(
        request,
        "selfreferral/public/urgent.html",
        {"next": _next_url(risk, change=change), "back": _url(risk)},
    )


@public_view
def under_18(request):
    """GET: for a person under 18: nothing was kept; where to go instead."""
    if (limited := _limited(request)) is not None:
        return limited
    return render(request, "selfreferral/public/under_18.html")


def _answers(state: dict) -> tuple[services.Answers | None, Step | None, dict]:
    """The validated answers, or the first step whose stored answers no longer validate."""
    cleaned = {}
    for s in STEPS:
        form = _bound(s, state)
        if form is None or not form.is_valid():
            return None, s, {}
        cleaned[s.slug] = form
    equality = cleaned["about-you"].values()
    contact = cleaned["contact"].cleaned_data
    risk = cleaned["risk"].cleaned_data
    answers = services.Answers(
        given_name=cleaned["name"].cleaned_data["given_name"],
        family_name=cleaned["name"].cleaned_data["family_name"],
        date_of_birth=cleaned["date-of-birth"].cleaned_data["date_of_birth"],
        nhs_number=cleaned["nhs-number"].cleaned_data["nhs_number"],
        address=cleaned["address"].address(),
        postcode=cleaned["address"].cleaned_data["postcode"],
        gp_practice_name=cleaned["gp"].cleaned_data["gp_practice_name"],
        mobile=contact["mobile"],
        email=contact["email"],
        phone=contact["phone"],
        channels=list(contact["channels"]),
        problem=cleaned["problem"].cleaned_data["problem"],
        duration=cleaned["problem"].cleaned_data["duration"],
        hopes=cleaned["hopes"].cleaned_data["hopes"],
        risk_answers={k: risk[k] == "yes" for k in forms.RISK_QUESTIONS},
        **equality,
    )
    return answers, None, cleaned


def _summary(answers: services.Answers, cleaned: dict) -> list[dict]:
    def change(slug):
        return _url(BY_SLUG[slug]) + "?change=1"

    gender = dict(forms.GENDER_CHOICES).get(cleaned["about-you"].cleaned_data.get("gender") or "", "Not answered")
    ethnicity = dict(forms.ETHNICITY_CHOICES).get(answers.ethnicity, "Not answered")
    return [
        {"key": "Name", "value": f"{answers.given_name} {answers.family_name}", "href": change("name")},
        {"key": "Date of birth", "value": f"{answers.date_of_birth:%-d %B %Y}", "href": change("date-of-birth")},
        {"key": "NHS number", "value": answers.nhs_number or "Not given", "href": change("nhs-number")},
        {"key": "Address", "value": f"{answers.address}, {answers.postcode}", "href": change("address")},
        {"key": "GP practice", "value": answers.gp_practice_name, "href": change("gp")},
        {"key": "Mobile", "value": answers.mobile or "Not given", "href": change("contact")},
        {"key": "Other phone", "value": answers.phone or "Not given", "href": change("contact")},
        {"key": "Email", "value": answers.email or "Not given", "href": change("contact")},
        {
            "key": "We may contact you by",
            "value": ", ".join(str(Channel(c).label).lower() for c in answers.channels),
            "href": change("contact"),
        },
        {"key": "What you would like help with", "value": answers.problem, "href": change("problem")},
        {"key": "How long", "value": Duration(answers.duration).label, "href": change("problem")},
        {"key": "What you hope will change", "value": answers.hopes or "Not answered", "href": change("hopes")},
        {
            "key": "Your safety",
            "value": "You answered yes to a question about your safety"
            if any(answers.risk_answers.values())
            else "You answered no to the questions about your safety",
            "href": change("risk"),
        },
        {"key": "Gender", "value": gender, "href": change("about-you")},
        {"key": "Ethnic group", "value": ethnicity, "href": change("about-you")},
    ]


@public_view
def check(request):
    """GET: every answer with a change link. POST: submits once (the session's
    submission key), then the confirmation page."""
    if (limited := _limited(request)) is not None:
        return limited
    state = _state(request)
    answers, broken, cleaned = _answers(state) if state is not None else (None, STEPS[0], {})
    if answers is None:
        return redirect(_url(broken))
    form = forms.CheckForm(request.POST or None)
    if request.method == "POST":
        address = ratelimit.client_address(request)
        if not (
            ratelimit.hit(
                bucket="selfreferral-submit",
                who=address,
                limit=settings.SELF_REFERRAL_SUBMITS_PER_ADDRESS_PER_HOUR,
                window_seconds=3600,
            )
            and ratelimit.hit(
                bucket="selfreferral-submit-all",
                who="",
                limit=settings.SELF_REFERRAL_SUBMITS_PER_MINUTE,
                window_seconds=60,
            )
        ):
            return ratelimit.too_many_requests(request, retry_after=600)
        return _submit(request, state, answers, form)
    return render(
        request,
        "selfreferral/public/check.html",
        {"rows": _summary(answers, cleaned), "form": form, "back": _url(STEPS[-1])},
    )


def _submit(request, state: dict, answers: services.Answers, form):
    started = datetime.fromisoformat(state["started"])
    too_fast = (timezone.now() - started).total_seconds() < settings.SELF_REFERRAL_MIN_SECONDS
    honeypot = form.is_valid() and bool(form.cleaned_data.get("email_confirm"))
    if state.get("bot") or honeypot or too_fast:
        # Dropped without a word: the same redirect and page as a real submit, a
        # reference that belongs to nothing, nothing stored or sent.
        reference, urgent = new_reference(), False
    else:
        try:
            row = services.self_referral_submit(
                answers=answers, submission_key=uuid.UUID(state["key"]), started_at=started
            )
        except ValidationError:
            request.session.pop(SESSION_KEY, None)
            return redirect("selfreferral:under_18")
        reference, urgent = row.reference, row.urgent
    request.session.pop(SESSION_KEY, None)
    request.session[DONE_KEY] = {"reference": reference, "urgent": urgent}
    return redirect("selfreferral:done")


@public_view
def done(request):
    """GET: the confirmation panel with the reference (kept in the session so a reload shows it)."""
    if (limited := _limited(request)) is not None:
        return limited
    result = request.session.get(DONE_KEY)
    if result is None:
        return redirect("selfreferral:start")
    return render(request, "selfreferral/public/done.html", result)


app_name = "selfreferral"
urlpatterns = [
    path("", start, name="start"),
    path("check/", check, name="check"),
    path("sent/", done, name="done"),
    path("your-safety/", urgent, name="urgent"),
    path("under-18/", under_18, name="under_18"),
    # The question pages by name, from a fixed list (no converter takes free input).
    re_path(r"^(?P<slug>{})/$".format("|".join(re.escape(s.slug) for s in STEPS)), step, name="step"),
]
