"""The write-access matrix: every role x every write action x the page and the
API, on a PWP's case and on a supervisor's own case, gives the same answer on
both, and that answer is the policy of README "Who sees what" (issue 13,
findings 2 and 3; accounts/policy.py).

The expected answers are written out here by hand, not computed by the policy
module, so a change to the policy that nobody meant fails this test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import policy
from accounts.models import Role
from accounts.policy import WriteAction
from accounts.services import api_token_issue
from patients.codes import ReferralStatus
from patients.models import Referral
from sessions.models import Amendment, RiskAssessment, TherapySession
from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus
from supervision.models import CaseReview, Flag
from tests.factories import ReferralFactory, ServiceFactory, SupervisionAssignmentFactory, UserFactory, gad7, phq9

ROLES = [
    "own_pwp",
    "other_pwp",
    "own_supervisor",
    "other_supervisor",
    "lead_supervisor",
    "hit_not_allocated",
    "manager",
    "referral_admin",
    "sysadmin",
]

# Who may make each write. "pwp_case" is held by own_pwp, whom own_supervisor
# supervises; "supervisor_case" is own_supervisor's own case, and lead_supervisor
# supervises own_supervisor.
ALLOWED = {
    "pwp_case": {
        WriteAction.SESSION_RECORD: {"own_pwp", "own_supervisor"},
        WriteAction.RISK_RECORD: {"own_pwp", "own_supervisor"},
        WriteAction.AMENDMENT_RECORD: {"own_pwp", "own_supervisor"},
        WriteAction.STEP_CHANGE_PROPOSE: {"own_pwp", "own_supervisor"},
        WriteAction.STEP_CHANGE_DECIDE: {"own_supervisor"},
        WriteAction.CASE_REVIEW_RECORD: {"own_supervisor"},
        WriteAction.FLAG_REQUEST: {"own_pwp"},
        WriteAction.REFERRAL_ALLOCATE: {"own_supervisor", "manager", "referral_admin"},
    },
    "supervisor_case": {
        WriteAction.SESSION_RECORD: {"own_supervisor", "lead_supervisor"},
        WriteAction.RISK_RECORD: {"own_supervisor", "lead_supervisor"},
        WriteAction.AMENDMENT_RECORD: {"own_supervisor", "lead_supervisor"},
        WriteAction.STEP_CHANGE_PROPOSE: {"own_supervisor", "lead_supervisor"},
        # nobody decides or reviews their own case (finding 3)
        WriteAction.STEP_CHANGE_DECIDE: {"lead_supervisor"},
        WriteAction.CASE_REVIEW_RECORD: {"lead_supervisor"},
        WriteAction.FLAG_REQUEST: {"own_supervisor"},
        WriteAction.REFERRAL_ALLOCATE: {"own_supervisor", "lead_supervisor", "manager", "referral_admin"},
    },
}
# Writes with no page of their own: allocation is made over the API (a page
# for it must call accounts.policy.can_allocate); amendments have no API.
NO_PAGE = {WriteAction.REFERRAL_ALLOCATE}
NO_API = {WriteAction.AMENDMENT_RECORD}


@pytest.fixture
def world(db):
    service = ServiceFactory()
    users = {
        "own_pwp": UserFactory(service=service, role=Role.PWP),
        "other_pwp": UserFactory(service=service, role=Role.PWP),
        "own_supervisor": UserFactory(service=service, role=Role.SUPERVISOR, band=7),
        "other_supervisor": UserFactory(service=service, role=Role.SUPERVISOR, band=7),
        "lead_supervisor": UserFactory(service=service, role=Role.SUPERVISOR, band=8),
        "hit_not_allocated": UserFactory(service=service, role=Role.HIT),
        "manager": UserFactory(service=service, role=Role.SERVICE_MANAGER, band=8),
        "referral_admin": UserFactory(service=service, role=Role.REFERRAL_ADMIN, band=3),
        "sysadmin": UserFactory(service=service, role=Role.SYSTEM_ADMIN),
    }
    SupervisionAssignmentFactory(supervisor=users["own_supervisor"], supervisee=users["own_pwp"])
    SupervisionAssignmentFactory(supervisor=users["other_supervisor"], supervisee=users["other_pwp"])
    SupervisionAssignmentFactory(supervisor=users["lead_supervisor"], supervisee=users["own_supervisor"])
    cases = {}
    for name, holder in (("pwp_case", users["own_pwp"]), ("supervisor_case", users["own_supervisor"])):
        open_referral = ReferralFactory(
            patient__service=service, assigned_practitioner=holder, received_on=timezone.localdate() - timedelta(60)
        )
        ended = ReferralFactory(
            patient__service=service,
            assigned_practitioner=holder,
            status=ReferralStatus.ENDED,
            ended_on=timezone.localdate() - timedelta(days=3),
            end_code="46",
        )
        proposal = StepChange.objects.create(
            referral=open_referral,
            kind=StepChangeKind.STEP_UP,
            from_step=2,
            to_step=3,
            effective_on=timezone.localdate(),
            reason="No reliable improvement.",
            proposed_by=holder,
        )
        cases[name] = {"open": open_referral, "ended": ended, "proposal": proposal}
    return users, cases


def _risk():
    return {
        "risk_to_self": "low",
        "risk_to_others": "none",
        "risk_from_others": "none",
        "level": "low",
        "plan": "Safety plan agreed.",
    }


def _session_fields():
    return {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        **{f"PHQ9_{i}": str(item) for i, item in enumerate(phq9(12), start=1)},
        **{f"GAD7_{i}": str(item) for i, item in enumerate(gad7(9), start=1)},
    }


def web_request(action, case):
    """(url, POST data) of the page that makes the write."""
    referral, today = case["open"], timezone.localdate()
    review = {"decisions": ["continue"], "next_review_on": (today + timedelta(days=14)).isoformat()}
    return {
        WriteAction.SESSION_RECORD: (reverse("sessions:session_create", args=[referral.pk]), _session_fields()),
        WriteAction.RISK_RECORD: (reverse("sessions:risk_create", args=[referral.pk]), _risk()),
        WriteAction.AMENDMENT_RECORD: (
            reverse("sessions:amend", args=[case["ended"].pk]),
            {"text": "The last session was by video.", "reason": "Typing error."},
        ),
        WriteAction.STEP_CHANGE_PROPOSE: (
            reverse("sessions:step_propose", args=[referral.pk]),
            # a step up: the discharge rules (issue 14) would judge the case's contacts, not the policy
            {"kind": "step_up", "to_step": "3", "effective_on": today.isoformat(), "reason": "Not improving."},
        ),
        # On the page a proposal is decided in the case review.
        WriteAction.STEP_CHANGE_DECIDE: (
            reverse("supervision:case_review", args=[referral.pk]),
            {**review, "decisions": ["step_up"]},
        ),
        WriteAction.CASE_REVIEW_RECORD: (reverse("supervision:case_review", args=[referral.pk]), review),
        WriteAction.FLAG_REQUEST: (reverse("supervision:request", args=[referral.pk]), {"question": "Risk plan?"}),
    }[action]


def api_request(action, case, users):
    """(url, JSON body) of the API call that makes the write."""
    referral, today = case["open"], timezone.localdate()
    review = {
        "referral": str(referral.pk),
        "decisions": ["continue"],
        "next_review_on": (today + timedelta(days=14)).isoformat(),
    }
    return {
        WriteAction.SESSION_RECORD: (
            "/api/v1/sessions/",
            {
                "referral": str(referral.pk),
                "started_at": (timezone.now() - timedelta(hours=1)).isoformat(),
                "appointment_type": "02",
                "attendance": "5",
                "medium": "02",
                "measures": [{"instrument": "PHQ9", "items": phq9(12)}, {"instrument": "GAD7", "items": gad7(9)}],
            },
        ),
        WriteAction.RISK_RECORD: ("/api/v1/risk-events/", {"referral": str(referral.pk), **_risk()}),
        WriteAction.STEP_CHANGE_PROPOSE: (
            "/api/v1/step-changes/",
            {
                "referral": str(referral.pk),
                "kind": "step_up",
                "to_step": 3,
                "effective_on": today.isoformat(),
                "reason": "Not improving.",
            },
        ),
        WriteAction.STEP_CHANGE_DECIDE: (f"/api/v1/step-changes/{case['proposal'].pk}/decide/", {"confirm": True}),
        WriteAction.CASE_REVIEW_RECORD: ("/api/v1/reviews/", review),
        WriteAction.FLAG_REQUEST: ("/api/v1/flags/", {"referral": str(referral.pk), "question": "Risk plan?"}),
        WriteAction.REFERRAL_ALLOCATE: (
            f"/api/v1/referrals/{referral.pk}/allocate/",
            {"practitioner": users["other_pwp"].pk, "step": 2},
        ),
    }[action]


def written(action, case) -> tuple:
    """What the write leaves behind, to tell "allowed" from "refused" by the
    record and not only by the status code."""
    referral = case["open"]
    return {
        WriteAction.SESSION_RECORD: lambda: TherapySession.objects.filter(referral=referral).count(),
        WriteAction.RISK_RECORD: lambda: RiskAssessment.objects.filter(referral=referral).count(),
        WriteAction.AMENDMENT_RECORD: lambda: Amendment.objects.filter(referral=case["ended"]).count(),
        WriteAction.STEP_CHANGE_PROPOSE: lambda: StepChange.objects.filter(referral=referral).count(),
        WriteAction.STEP_CHANGE_DECIDE: lambda: StepChange.objects.filter(
            pk=case["proposal"].pk, status=StepChangeStatus.PROPOSED
        ).count(),
        WriteAction.CASE_REVIEW_RECORD: lambda: CaseReview.objects.filter(referral=referral).count(),
        WriteAction.FLAG_REQUEST: lambda: Flag.objects.filter(referral=referral).count(),
        WriteAction.REFERRAL_ALLOCATE: lambda: Referral.objects.filter(
            pk=referral.pk, assigned_practitioner_id=referral.assigned_practitioner_id
        ).count(),
    }[action]()


def _attempt(action, case, send) -> tuple[str, int]:
    """Makes the request in a savepoint that is rolled back, so the page and the
    API each meet the same state. Returns ("allowed" | "refused", status)."""
    with transaction.atomic():
        if action == WriteAction.STEP_CHANGE_PROPOSE:  # one proposal at a time: clear the pending one
            StepChange.objects.filter(referral=case["open"]).delete()
        before = written(action, case)
        response = send()
        changed = written(action, case) != before
        transaction.set_rollback(True)
    ok = response.status_code in (200, 201, 302)
    assert ok == changed, (action, response.status_code, getattr(response, "content", b"")[:300])
    return ("allowed" if ok else "refused"), response.status_code


@pytest.mark.parametrize("case_name", list(ALLOWED))
@pytest.mark.parametrize("action", list(WriteAction))
@pytest.mark.parametrize("role", ROLES)
def test_the_page_and_the_api_give_the_policys_answer(world, case_name, action, role):
    users, cases = world
    user, case = users[role], cases[case_name]
    expected = "allowed" if role in ALLOWED[case_name][action] else "refused"
    answers = {}
    if action not in NO_PAGE:
        url, data = web_request(action, case)
        client = Client()
        client.force_login(user)
        answers["web"] = _attempt(action, case, lambda: client.post(url, data))
    if action not in NO_API:
        url, body = api_request(action, case, users)
        _, secret = api_token_issue(user=user, name="matrix")
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        answers["api"] = _attempt(action, case, lambda: api.post(url, body, format="json"))
    assert {channel: answer for channel, (answer, _) in answers.items()} == dict.fromkeys(answers, expected), answers
    if expected == "refused":
        # refused before anything is read or written: 403 when the record is in
        # the user's sight, 404 (or, for an API field naming it, 400) when not
        assert all(status in (400, 403, 404) for _, status in answers.values()), answers
        if role in ("own_pwp", "own_supervisor", "lead_supervisor") and "web" in answers and "api" in answers:
            visible = Referral.objects.visible_to(user).filter(pk=case["open"].pk).exists()
            if visible:
                assert answers["web"][1] == answers["api"][1] == 403, answers


@pytest.mark.parametrize("case_name", list(ALLOWED))
@pytest.mark.parametrize("action", list(WriteAction))
@pytest.mark.parametrize("role", ROLES)
def test_the_policy_function_agrees_with_the_matrix_where_the_record_is_visible(world, case_name, action, role):
    """The one function per action is what the page and the API ask; on a
    record the user can see, it gives the matrix's answer by itself."""
    users, cases = world
    user, case = users[role], cases[case_name]
    referral = case["ended"] if action == WriteAction.AMENDMENT_RECORD else case["open"]
    if not Referral.objects.visible_to(user).filter(pk=referral.pk).exists():
        return  # the read policy (404) answers first; test_access_policy.py holds it
    assert policy.allowed(action, user, referral) is (role in ALLOWED[case_name][action])


def test_the_referral_administrator_and_manager_cannot_discharge_a_pwps_case(world):
    """Finding 2: the two calls that worked before now answer 403 and write nothing."""
    users, cases = world
    referral = cases["pwp_case"]["open"]
    StepChange.objects.filter(referral=referral).delete()
    api = APIClient()
    _, secret = api_token_issue(user=users["referral_admin"], name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "referral": str(referral.pk),
        "kind": "discharge",
        "end_code": "46",
        "reason": "x",
        "effective_on": timezone.localdate().isoformat(),
    }
    assert api.post("/api/v1/step-changes/", body, format="json").status_code == 403
    client = Client()
    client.force_login(users["manager"])
    response = client.post(
        reverse("sessions:step_propose", args=[referral.pk]),
        {"kind": "discharge", "end_code": "46", "effective_on": timezone.localdate(), "reason": "x"},
    )
    assert response.status_code == 403
    assert not StepChange.objects.filter(referral=referral).exists()
    assert not Flag.objects.filter(referral=referral).exists()


def test_a_supervisor_cannot_review_or_discharge_their_own_case_over_the_api(world):
    """Finding 3: a review, then a discharge proposal decided by the same supervisor."""
    users, cases = world
    referral = cases["supervisor_case"]["open"]
    api = APIClient()
    _, secret = api_token_issue(user=users["own_supervisor"], name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    review = {
        "referral": str(referral.pk),
        "decisions": ["discharge"],
        "end_code": "46",
        "next_review_on": (timezone.localdate() + timedelta(days=7)).isoformat(),
    }
    assert api.post("/api/v1/reviews/", review, format="json").status_code == 403
    decided = api.post(
        f"/api/v1/step-changes/{cases['supervisor_case']['proposal'].pk}/decide/", {"confirm": True}, format="json"
    )
    assert decided.status_code == 403
    referral.refresh_from_db()
    assert referral.status != ReferralStatus.ENDED and not CaseReview.objects.filter(referral=referral).exists()
