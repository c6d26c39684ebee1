"""Issue 14 item 1, the whole kind: every web form that creates a record carries
a one-time token, so the same form sent twice (one after the other, or three at
once) saves once and shows the saved record (core/once.py)."""

import random
import re
import threading
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from core.once import REPLAYED
from patients.codes import ReferralSource, ReferralStatus
from patients.models import Patient
from sessions.models import Amendment, RiskAssessment, TherapySession
from supervision.models import CaseReview, ClinicalSkillsSupervision, Flag, FlagReason, SupervisionSession
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, nhs_number

TOKEN = re.compile(r'name="form_token" value="([0-9a-f]{32})"')


@dataclass
class Case:
    user: object
    page: str  # the page that shows the form
    url: str  # where it posts
    data: dict
    count: object  # () -> int, the records this form creates


def _session_data(**extra):
    return {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": "30",
        "notes": "Reviewed the worksheet",
        **{f"PHQ9_{i}": "1" for i in range(1, 9)},
        "PHQ9_9": "0",
        **{f"GAD7_{i}": "1" for i in range(1, 8)},
        **extra,
    }


def _cases(name: str) -> Case:
    pwp = UserFactory(role=Role.PWP)
    service = pwp.service
    supervisor = UserFactory(role=Role.SUPERVISOR, service=service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    referral = ReferralFactory(patient__service=service, assigned_practitioner=pwp)
    today = timezone.localdate()
    if name == "session":
        url = reverse("sessions:session_create", args=[referral.pk])
        return Case(pwp, url, url, _session_data(), TherapySession.objects.count)
    if name == "assessment":
        new = ReferralFactory(
            patient__service=service, assigned_practitioner=pwp, status=ReferralStatus.RECEIVED, current_step=None
        )
        url = reverse("sessions:assessment_create", args=[new.pk])
        data = _session_data(appointment_type="01", problem_descriptor="F32", step="2", step_reason="Mild depression")
        return Case(pwp, url, url, data, TherapySession.objects.count)
    if name == "step proposal":
        url = reverse("sessions:step_propose", args=[referral.pk])
        data = {"kind": "step_up", "to_step": "3", "effective_on": today.isoformat(), "reason": "No improvement"}
        from stepped_care.models import StepChange

        return Case(pwp, url, url, data, StepChange.objects.count)
    if name == "risk event":
        url = reverse("sessions:risk_create", args=[referral.pk])
        data = {"risk_to_self": "low", "risk_to_others": "none", "risk_from_others": "none", "level": "low"}
        data["plan"] = "Safety plan agreed"
        return Case(pwp, url, url, data, RiskAssessment.objects.count)
    if name == "amendment":
        ended = ReferralFactory(
            patient__service=service,
            assigned_practitioner=pwp,
            status=ReferralStatus.ENDED,
            ended_on=today - timedelta(days=1),
            end_code="14",
        )
        url = reverse("sessions:amend", args=[ended.pk])
        data = {"text": "The GP letter was sent on 3 March.", "reason": "Left out at discharge"}
        return Case(pwp, url, url, data, Amendment.objects.count)
    if name == "supervision request":
        url = reverse("supervision:request", args=[referral.pk])
        return Case(pwp, url, url, {"question": "Step up?"}, Flag.objects.count)
    if name == "case review":
        url = reverse("supervision:case_review", args=[referral.pk])
        data = {"decisions": ["continue"], "next_review_on": (today + timedelta(days=14)).isoformat()}
        return Case(supervisor, url, url, data, CaseReview.objects.count)
    if name == "clinical skills":
        url = reverse("supervision:clinical_skills")
        data = {"held_on": today.isoformat(), "format": "individual", "attendees": [pwp.pk], "duration_minutes": "60"}
        return Case(supervisor, url, url, data, ClinicalSkillsSupervision.objects.count)
    if name == "supervision session":
        Flag.objects.create(referral=referral, reason=FlagReason.OVERDUE_REVIEW)
        data = {"supervisee": pwp.pk}
        return Case(
            supervisor,
            reverse("supervision:dashboard"),
            reverse("supervision:session_start"),
            data,
            SupervisionSession.objects.count,
        )
    if name == "registration":
        admin = UserFactory(role=Role.REFERRAL_ADMIN, service=service)
        url = reverse("patients:register")
        data = {
            "nhs_number": nhs_number.generate(random.Random(7)),
            "given_name": "Emily",
            "family_name": "Brontë",
            "date_of_birth": "1980-07-30",
            "sex": "2",
            "ethnicity": "Z",
            "source": ReferralSource.SELF,
            "received_on": (today - timedelta(days=3)).isoformat(),
        }
        return Case(admin, url, url, data, Patient.objects.count)
    raise AssertionError(name)


CREATE_FORMS = [
    "session",
    "assessment",
    "step proposal",
    "risk event",
    "amendment",
    "supervision request",
    "case review",
    "clinical skills",
    "supervision session",
    "registration",
]


def _token(client, page) -> str:
    response = client.get(page)
    assert response.status_code == 200
    match = TOKEN.search(response.content.decode())
    assert match, f"{page} renders no one-time token"
    return match.group(1)


@pytest.mark.parametrize("name", CREATE_FORMS)
def test_every_create_form_sent_twice_saves_once_and_shows_the_saved_record(client, db, name):
    # given the form as the page renders it, with its one-time token
    case = _cases(name)
    client.force_login(case.user)
    token = _token(client, case.page)
    before = case.count()

    # when it is sent twice (a double click, a resend after a slow answer)
    first = client.post(case.url, {**case.data, "form_token": token})
    second = client.post(case.url, {**case.data, "form_token": token})

    # then one record is saved and both answers show it
    assert first.status_code == 302, re.findall(
        r"invalid-feedback[^<]*<[^>]*>([^<]*)|alert-danger[^>]*>(.*?)</div>", first.content.decode()
    )
    assert second.status_code == 302 and second["Location"] == first["Location"]
    assert case.count() == before + 1
    assert REPLAYED in [str(m) for m in get_messages(second.wsgi_request)]


def test_a_refused_form_gives_its_token_back_so_the_corrected_form_saves(client, db):
    case = _cases("session")
    client.force_login(case.user)
    token = _token(client, case.page)

    refused = client.post(case.url, {**case.data, "PHQ9_9": "2", "form_token": token})  # item 9 without risk
    saved = client.post(case.url, {**case.data, "form_token": token})

    assert refused.status_code == 200 and saved.status_code == 302
    assert TherapySession.objects.count() == 1


def test_a_token_is_its_users_own(client, db):
    # given a token another user claimed
    case = _cases("session")
    client.force_login(case.user)
    token = _token(client, case.page)
    client.post(case.url, {**case.data, "form_token": token})
    other = UserFactory(role=Role.PWP, service=case.user.service)
    referral = ReferralFactory(patient__service=other.service, assigned_practitioner=other)
    client.force_login(other)

    # when someone else posts it, nothing of the first is shown to them: the form saves its own
    response = client.post(reverse("sessions:session_create", args=[referral.pk]), {**case.data, "form_token": token})
    assert response.status_code == 302 and str(referral.pk) in response["Location"]
    assert TherapySession.objects.filter(referral=referral).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["session", "registration"])
def test_three_identical_posts_at_once_save_once(name):
    # given one form with its token, sent from three connections at the same moment
    case = _cases(name)
    clients = [Client() for _ in range(3)]
    for c in clients:
        c.force_login(case.user)
    token = _token(clients[0], case.page)
    before = case.count()
    barrier = threading.Barrier(3)
    answers = []

    def send(c):
        try:
            barrier.wait()
            answers.append(c.post(case.url, {**case.data, "form_token": token}))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then one record, and every answer shows it
    assert case.count() == before + 1
    assert [a.status_code for a in answers] == [302, 302, 302]
    assert len({a["Location"] for a in answers}) == 1


@pytest.mark.django_db(transaction=True)
def test_the_token_costs_the_session_post_one_statement(client):
    # given the session form posted with and without its token (transaction=True: real commits)
    from django.test.utils import CaptureQueriesContext

    case = _cases("session")
    client.force_login(case.user)
    token = _token(client, case.page)
    with CaptureQueriesContext(connection) as without:
        client.post(case.url, case.data)
    later = {**case.data, "started_at": (timezone.localtime() - timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}
    with CaptureQueriesContext(connection) as with_token:
        client.post(case.url, {**later, "form_token": token})

    # then the claim is one INSERT in the same transaction (the record's page was known before saving)
    extra = [q["sql"] for q in with_token.captured_queries if "core_formsubmission" in q["sql"]]
    assert len(with_token.captured_queries) == len(without.captured_queries) + 1
    assert len(extra) == 1 and extra[0].startswith("INSERT")
    assert TherapySession.objects.count() == 2
