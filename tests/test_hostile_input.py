"""Hostile input on every web form (issue 7, "Reliability"): NUL bytes,
5,000-character values, 10 MB bodies, dates far in the future or long before
the referral, wrong types, unknown codes, missing and repeated fields. Never a
500; when the input is refused nothing is written; when every field is hostile
at once it is always refused.

Each form is first posted with valid data (the control), so the hostile values
replace one field at a time in a request that would otherwise reach the service."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from outbox.models import OutboxMessage
from patients.codes import ReferralSource
from patients.models import Patient, Referral
from reports.models import ExportJob
from sessions.models import Amendment, MeasureScore, RiskAssessment, TherapySession
from stepped_care.models import StepChange
from supervision.models import CaseReview, ClinicalSkillsSupervision, Flag, Notification, SupervisionSession
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, TeamFactory, UserFactory

PASSWORD = "correct-horse-battery"
WRITTEN = (
    Patient,
    Referral,
    TherapySession,
    MeasureScore,
    RiskAssessment,
    Amendment,
    StepChange,
    CaseReview,
    SupervisionSession,
    ClinicalSkillsSupervision,
    Flag,
    Notification,
    ExportJob,
    OutboxMessage,
)
FORM_ERROR_MARKERS = ("is-invalid", "invalid-feedback", "errorlist", "alert-danger", "alert alert-")


def rows() -> tuple:
    """Every clinical table's row count, in one query (the audit log of reads is left out)."""
    tables = ", ".join(f"(SELECT count(*) FROM {m._meta.db_table})" for m in WRITTEN)  # noqa: S608
    sql = "SELECT " + tables  # table names from the models, no input
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


@pytest.fixture
def world(db):
    pwp = UserFactory(role=Role.PWP)
    service = pwp.service
    TeamFactory(service=service, name="North team")
    supervisor = UserFactory(role=Role.SUPERVISOR, service=service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    received = timezone.localdate() - timedelta(days=60)
    case = dict(patient__service=service, assigned_practitioner=pwp, received_on=received)
    w = {
        "pwp": pwp,
        "supervisor": supervisor,
        "admin": UserFactory(role=Role.REFERRAL_ADMIN, service=service),
        "manager": UserFactory(role=Role.SERVICE_MANAGER, service=service),
        "open": ReferralFactory(**case),
        "new": ReferralFactory(**case, status="received", current_step=None, opened_at=None),
        "ended": ReferralFactory(**case, status="ended", ended_on=timezone.localdate(), end_code="46"),
        "reviewed": ReferralFactory(**case, last_reviewed_at=None),
    }
    w["supervision"] = SupervisionSession.objects.create(
        supervisor=supervisor, supervisee=pwp, agenda=[w["reviewed"].pk]
    )
    return w


def _when(**kwargs) -> str:
    return (timezone.localtime() - timedelta(**kwargs)).strftime("%Y-%m-%dT%H:%M")


def _today(days: int = 0) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


def _session(w) -> dict:
    return {
        "started_at": _when(hours=1),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": "30",
        "interventions": ["ba"],
        "notes": "Reviewed the activity diary",
        **{f"PHQ9_{i}": "1" for i in range(1, 9)},
        "PHQ9_9": "0",
        **{f"GAD7_{i}": "1" for i in range(1, 8)},
    }


def _review(w) -> dict:
    return {"decisions": ["continue"], "next_review_on": _today(14), "notes": "Continue guided self-help"}


@dataclass(frozen=True)
class FormCase:
    name: str
    user: str | None  # None: anonymous
    url: Callable[[dict], str]
    data: Callable[[dict], dict]
    method: str = "post"
    writes: bool = True

    def __str__(self):
        return self.name


FORMS = [
    FormCase(
        "login",
        None,
        lambda w: reverse("login"),
        lambda w: {"username": w["pwp"].username, "password": PASSWORD},
        writes=False,
    ),
    FormCase(
        "registration",
        "admin",
        lambda w: reverse("patients:register"),
        lambda w: {
            "nhs_number": "943 476 5919",
            "given_name": "Robin",
            "family_name": "Exampleton",
            "date_of_birth": "1980-02-29",
            "sex": "2",
            "gender_identity": "2",
            "gender_identity_described": "Woman",
            "ethnicity": "A",
            "preferred_language": "en",
            "employment_status": "01",
            "phone": "07700 900123",
            "email": "robin@example.invalid",
            "address": "1 Example Road",
            "postcode": "LS1 4AP",
            "contact_preferences": ["telephone"],
            "consent_to_contact": "on",
            "gp_practice_code": "B86001",
            "gp_practice_name": "Example Surgery",
            "source": ReferralSource.SELF,
            "received_on": _today(-3),
            "problem_descriptor": "F411",
            "notes": "Self-referred online",
        },
    ),
    FormCase("session", "pwp", lambda w: reverse("sessions:session_create", args=[w["open"].pk]), _session),
    FormCase(
        "assessment",
        "pwp",
        lambda w: reverse("sessions:assessment_create", args=[w["new"].pk]),
        lambda w: {
            **_session(w),
            "appointment_type": "01",
            "interventions": [],
            "problem_descriptor": "F411",
            "step": "2",
            "step_reason": "Moderate generalised anxiety",
        },
    ),
    FormCase(
        "step_proposal",
        "pwp",
        lambda w: reverse("sessions:step_propose", args=[w["open"].pk]),
        lambda w: {"kind": "step_up", "to_step": "3", "effective_on": _today(), "reason": "No reliable improvement"},
    ),
    FormCase(
        "risk_event",
        "pwp",
        lambda w: reverse("sessions:risk_create", args=[w["open"].pk]),
        lambda w: {
            "risk_to_self": "high",
            "risk_to_others": "none",
            "risk_from_others": "low",
            "level": "high",
            "plan": "Crisis team called",
            "actions": "Follow up tomorrow",
        },
    ),
    FormCase(
        "amendment",
        "pwp",
        lambda w: reverse("sessions:amend", args=[w["ended"].pk]),
        lambda w: {"text": "The last session was by video", "reason": "Typing error"},
    ),
    FormCase(
        "supervision_request",
        "pwp",
        lambda w: reverse("supervision:request", args=[w["open"].pk]),
        lambda w: {"question": "Should this case step up?"},
    ),
    FormCase(
        "supervision_start",
        "supervisor",
        lambda w: reverse("supervision:session_start"),
        lambda w: {"supervisee": str(w["pwp"].pk)},
    ),
    FormCase(
        "case_review", "supervisor", lambda w: reverse("supervision:case_review", args=[w["reviewed"].pk]), _review
    ),
    FormCase(
        "case_review_in_session",
        "supervisor",
        lambda w: reverse("supervision:session_case", args=[w["supervision"].pk, w["reviewed"].pk]),
        _review,
    ),
    FormCase(
        "clinical_skills",
        "supervisor",
        lambda w: reverse("supervision:clinical_skills"),
        lambda w: {
            "held_on": _today(),
            "format": "individual",
            "attendees": [str(w["pwp"].pk)],
            "duration_minutes": "60",
            "topics": "Behavioural activation",
        },
    ),
    FormCase(
        "report_export",
        "manager",
        lambda w: reverse("reports:export"),
        lambda w: {"period": "year", "month": timezone.localdate().strftime("%Y-%m"), "format": "csv"},
        writes=False,
    ),
    FormCase(
        "report_filters",
        "manager",
        lambda w: reverse("reports:service_report"),
        lambda w: {"period": "custom", "date_from": _today(-90), "date_to": _today(), "month": "2026-04"},
        method="get",
        writes=False,
    ),
    FormCase(
        "caseload_filters",
        "pwp",
        lambda w: reverse("sessions:caseload"),
        lambda w: {"step": "2", "problem_descriptor": "F32", "risk_only": "on", "sort": "review"},
        method="get",
        writes=False,
    ),
    FormCase(
        "referral_filters",
        "admin",
        lambda w: reverse("patients:referral_list"),
        lambda w: {
            "status": "received",
            "step": "2",
            "source": ReferralSource.SELF,
            "received_from": _today(-90),
            "page": "1",
        },
        method="get",
        writes=False,
    ),
    FormCase(
        "supervision_filters",
        "supervisor",
        lambda w: reverse("supervision:dashboard"),
        lambda w: {"supervisee": str(w["pwp"].pk), "reason": "risk"},
        method="get",
        writes=False,
    ),
]

FREE_TEXT_ONLY = {"amendment", "supervision_request"}
# Fields where any text is a fair answer, and checkboxes (any value means ticked).
FREE_TEXT = {
    "notes",
    "text",
    "topics",
    "reason",
    "question",
    "plan",
    "actions",
    "given_name",
    "family_name",
    "gender_identity_described",
    "address",
    "gp_practice_name",
    "step_reason",
    "risk_action",
    "override_reason",
    "password",
}
CHECKBOXES = {"consent_to_contact", "consent_to_leave_messages", "risk_recorded", "risk_only", "identifiable"}
# A date, a number, a code or a choice: these values are never a fair answer to one.
NEVER_A_CODE = {
    "far_future_date",
    "far_future_datetime",
    "before_the_referral",
    "year_one",
    "wrong_type",
    "huge_number",
    "negative",
    "not_a_number",
    "unknown_code",
    "bad_utf8",
}
LONG = "x" * 5000
# One hostile value for a field; each replaces one field's value in turn.
VALUES = {
    "nul": lambda v: f"{v}\x00",
    "only_nul": lambda v: "\x00",
    "long": lambda v: LONG,
    "far_future_date": lambda v: "9999-12-31",
    "far_future_datetime": lambda v: "9999-12-31T23:59",
    "before_the_referral": lambda v: "1900-01-01",
    "year_one": lambda v: "0001-01-01T00:00",
    "wrong_type": lambda v: "[object Object]",
    "huge_number": lambda v: "99999999999999999999999",
    "negative": lambda v: "-1",
    "not_a_number": lambda v: "1e309",
    "unknown_code": lambda v: "Z9",  # on no national list ("ZZ" is employment status "not stated")
    "bad_utf8": lambda v: b"\xff\xfe\xc3",
    "emoji": lambda v: "🙂" * 200,
}


def _client(w, case: FormCase) -> Client:
    client = Client(raise_request_exception=False)
    if case.user:
        client.force_login(w[case.user])
    return client


def _send(client: Client, case: FormCase, url: str, data: dict):
    encoded = urlencode(data, doseq=True)
    if case.method == "get":
        return client.get(f"{url}?{encoded}")
    return client.post(url, encoded, content_type="application/x-www-form-urlencoded")


def _mutate(value, hostile):
    if isinstance(value, list):
        return [hostile(v) for v in value] or [hostile("")]
    return hostile(value)


def _check(response, before, *, case: FormCase, what: str, says_why: bool = True) -> bool:
    """Never a 500; a refusal writes nothing and says why. Returns whether it was accepted."""
    assert response.status_code < 500, f"{case.name}: {what} gave {response.status_code}"
    accepted = response.status_code == 302 and case.writes
    if not accepted:
        assert rows() == before, f"{case.name}: {what} was refused but wrote rows"
    if says_why and response.status_code == 200 and case.method == "post" and case.writes:
        body = response.content.decode()
        assert any(m in body for m in FORM_ERROR_MARKERS), f"{case.name}: {what} re-rendered with no error shown"
    return accepted


@pytest.mark.parametrize("case", FORMS, ids=str)
def test_the_valid_control_is_accepted(world, case):
    client = _client(world, case)
    before = rows()
    response = _send(client, case, case.url(world), case.data(world))
    assert response.status_code in ((302,) if case.method == "post" and case.name != "report_export" else (200, 302))
    if case.writes:
        assert rows() != before, f"{case.name}: the valid control wrote nothing"


@pytest.mark.parametrize("hostile", list(VALUES), ids=str)
@pytest.mark.parametrize("case", FORMS, ids=str)
def test_a_hostile_value_in_any_field_is_never_a_500(world, case, hostile):
    client = _client(world, case)
    url, valid = case.url(world), case.data(world)
    for field in valid:
        data = {**valid, field: _mutate(valid[field], VALUES[hostile])}
        with transaction.atomic():  # each field against the same starting state
            before = rows()
            accepted = _check(_send(client, case, url, data), before, case=case, what=f"{hostile} in {field}")
            if hostile in NEVER_A_CODE and field not in FREE_TEXT | CHECKBOXES:
                assert not accepted, f"{case.name}: {hostile} accepted in {field}"
            transaction.set_rollback(True)
    # every field hostile at once is always refused (in a form of free text alone,
    # only the NUL bytes are: the other values are acceptable text)
    refused = ("nul", "only_nul") if case.name in FREE_TEXT_ONLY else set(VALUES) - {"long", "emoji"}
    if hostile in refused and case.writes:
        before = rows()
        data = {field: _mutate(value, VALUES[hostile]) for field, value in valid.items()}
        response = _send(client, case, url, data)
        assert not _check(response, before, case=case, what=f"{hostile} in every field"), case.name


@pytest.mark.parametrize("case", [c for c in FORMS if c.method == "post"], ids=str)
def test_hostile_request_shapes_are_refused_cleanly(world, case, settings):
    client = _client(world, case)
    url, valid = case.url(world), case.data(world)
    text_field = next(iter(valid))
    shapes = {
        "10 MB body": lambda: client.post(
            url,
            urlencode({**valid, text_field: "x" * 10_000_000}, doseq=True),
            content_type="application/x-www-form-urlencoded",
        ),
        "10 MB multipart body": lambda: client.post(url, {**valid, text_field: "x" * 10_000_000}),
        "5,000 fields": lambda: client.post(
            url,
            urlencode({**valid, **{f"f{n}": "x" for n in range(5000)}}, doseq=True),
            content_type="application/x-www-form-urlencoded",
        ),
        "JSON instead of a form": lambda: client.post(url, valid, content_type="application/json"),
        "a file in a text field": lambda: client.post(
            url, {**valid, text_field: __import__("io").BytesIO(b"\x00" * 1024)}
        ),
        "the same field twice": lambda: client.post(
            url,
            urlencode({k: [v, "ZZ"] if not isinstance(v, list) else [*v, "ZZ"] for k, v in valid.items()}, doseq=True),
            content_type="application/x-www-form-urlencoded",
        ),
        "empty": lambda: client.post(url, "", content_type="application/x-www-form-urlencoded"),
    }
    for what, send in shapes.items():
        before = rows()
        response = send()
        # an empty or non-form body is an unbound form: the blank form again, nothing written
        blank = what in ("empty", "JSON instead of a form") or (what == "a file in a text field" and len(valid) == 1)
        accepted = _check(response, before, case=case, what=what, says_why=not blank)
        if what.startswith(("10 MB", "5,000")):
            assert response.status_code in (400, 413), f"{case.name}: {what} gave {response.status_code}"
            assert b"could not be accepted" in response.content
        if what in ("empty", "JSON instead of a form") and case.writes:
            assert not accepted
