"""The supervisor's hour (issue 16): the review page, the agenda's clock,
notifications, flags raised at once, landing pages, where a moved case went,
and compliance."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from sessions.services import risk_event_record, therapy_session_record
from stepped_care.models import StepChange
from stepped_care.services import step_change_propose
from supervision.models import CaseReview, Flag, Notification, SupervisionSession
from supervision.services import case_review_record, flag_request
from supervision.sweep import sweep
from tests.factories import SupervisionAssignmentFactory, UserFactory, gad7, phq9

from .conftest import RISK, log, open_case


def open_flags(referral):
    return set(Flag.objects.filter(referral=referral, resolved_at__isnull=True).values_list("reason", flat=True))


# 4. At once, not hourly -------------------------------------------------------


def test_a_step_proposal_raises_its_flag_and_notifies_in_its_own_transaction(team):
    pwp, supervisor = team
    referral = open_case(pwp)
    step_change_propose(
        user=pwp, referral=referral, kind="step_up", to_step=3, reason="No change", effective_on=timezone.localdate()
    )
    assert open_flags(referral) == {"step_change"}  # no sweep ran
    notification = Notification.objects.get(user=supervisor)
    assert notification.flag.reason == "step_change"
    assert referral.patient.family_name not in notification.message


def test_a_risk_event_raises_the_risk_flag_at_once(team):
    pwp, _ = team
    referral = open_case(pwp)
    risk_event_record(user=pwp, referral=referral, risk=RISK)
    assert open_flags(referral) == {"risk"}


def test_a_session_showing_reliable_deterioration_raises_its_flag_at_once(team):
    pwp, _ = team
    referral = open_case(pwp)
    log(pwp, referral, days_ago=20, phq=8, gad=6)  # the baseline (no follow-up)
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=1),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(15), "GAD7": gad7(7)},
    )
    assert open_flags(referral) == {"deterioration"}


def test_a_session_without_risk_or_change_raises_nothing_at_once(team):
    pwp, _ = team
    referral = open_case(pwp)
    log(pwp, referral, days_ago=20, phq=12, gad=9)
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=1),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(11), "GAD7": gad7(9)},
    )
    assert open_flags(referral) == set()


def test_a_request_for_supervision_notifies_at_once_and_the_sweep_adds_no_second(team):
    pwp, supervisor = team
    referral = open_case(pwp)
    flag_request(user=pwp, referral=referral, question="Should we step up?")
    sweep(referral_ids=[referral.pk])
    assert open_flags(referral) == {"pwp_request"}
    assert Notification.objects.filter(user=supervisor).count() == 1


# 3. Notifications ----------------------------------------------------------------


def test_the_worker_emails_a_link_and_no_patient_identifier(team, django_capture_on_commit_callbacks, settings):
    pwp, supervisor = team
    settings.SITE_URL = "https://tt.example.invalid"
    referral = open_case(pwp)
    risk_event_record(user=pwp, referral=referral, risk=RISK)  # flag and notification, no email yet
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        sweep(referral_ids=[referral.pk])  # the worker's run of the published task
    [message] = mail.outbox
    notification = Notification.objects.get(user=supervisor)
    assert f"https://tt.example.invalid/supervision/notifications/{notification.pk}/" in message.body
    patient = referral.patient
    for identifier in (patient.family_name, patient.given_name, patient.nhs_number, str(referral.pk)):
        assert identifier not in message.body and identifier not in message.subject


def test_the_notification_page_names_the_case_links_to_its_review_and_counts_unread(client, team):
    pwp, supervisor = team
    referral = open_case(pwp)
    risk_event_record(user=pwp, referral=referral, risk=RISK)
    client.force_login(supervisor)  # the count is read at log-in
    page = client.get(reverse("supervision:notifications")).content.decode()
    notification = Notification.objects.get(user=supervisor)
    assert referral.patient.family_name in page and "Risk" in page
    assert reverse("supervision:notification_open", args=[notification.pk]) in page
    assert 'id="unread-count">1<' in page
    assert AccessLog.objects.filter(user=supervisor, object_type="notification").exists()

    # following it opens the review and marks it read
    response = client.get(reverse("supervision:notification_open", args=[notification.pk]))
    assert response.url == reverse("supervision:case_review", args=[referral.pk])
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert 'id="unread-count"' not in client.get(reverse("supervision:notifications")).content.decode()


def test_mark_all_read_and_another_users_notification_is_404(client, team):
    pwp, supervisor = team
    referral = open_case(pwp)
    risk_event_record(user=pwp, referral=referral, risk=RISK)
    notification = Notification.objects.get()
    client.force_login(pwp)
    assert client.get(reverse("supervision:notification_open", args=[notification.pk])).status_code == 404
    client.force_login(supervisor)
    client.post(reverse("supervision:notifications_mark_read"), {"all": "1"})
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_the_emailed_link_requires_log_in(client, team):
    pwp, _ = team
    referral = open_case(pwp)
    risk_event_record(user=pwp, referral=referral, risk=RISK)
    response = client.get(reverse("supervision:notification_open", args=[Notification.objects.get().pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# 5. Landing pages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target"),
    [
        (Role.SUPERVISOR, "supervision:dashboard"),
        (Role.SERVICE_MANAGER, "reports:service_report"),
        (Role.PWP, "sessions:caseload"),
        (Role.HIT, "sessions:caseload"),
        (Role.REFERRAL_ADMIN, "stepped_care:incoming"),
    ],
)
def test_each_role_lands_on_its_page(client, db, role, target):
    client.force_login(UserFactory(role=role))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(target)


# 1. The review page ----------------------------------------------------------------


def _case_with_history(pwp, supervisor, sessions):
    referral = open_case(
        pwp, received_on=timezone.localdate() - timedelta(days=200), opened_at=timezone.now() - timedelta(days=160)
    )
    for n in range(sessions):
        log(pwp, referral, days_ago=150 - n * 7, phq=17 if n == 0 else 16, gad=12)
    review = case_review_record(
        user=supervisor,
        referral=referral,
        decisions=["risk_action", "continue"],
        next_review_on=timezone.localdate() + timedelta(days=1),
        risk_action="Call the GP",
        risk_action_owner=pwp,
        risk_action_due=timezone.localdate(),
    )
    CaseReview.objects.filter(pk=review.pk).update(
        reviewed_at=timezone.now() - timedelta(days=35),
        next_review_on=timezone.localdate() - timedelta(days=7),
        risk_action_due=timezone.localdate() - timedelta(days=30),
    )
    from patients.models import Referral

    Referral.objects.filter(pk=referral.pk).update(last_reviewed_at=timezone.now() - timedelta(days=35))
    log(pwp, referral, days_ago=2, phq=16, gad=12, item9=2, risk=RISK)
    flag_request(user=pwp, referral=referral, question="Is it time to step up?")
    sweep()
    return referral


@pytest.mark.parametrize("sessions", [4, 20])
def test_the_review_page_has_everything_to_decide_in_a_fixed_budget(
    client, team, django_assert_max_num_queries, sessions
):
    pwp, supervisor = team
    referral = _case_with_history(pwp, supervisor, sessions)
    client.force_login(supervisor)
    # session and user; the referral and its read audit; the record (sessions with measures,
    # risk, step history); the form's two staff lists; open flags and the facts (six); the
    # previous reviews: constant whatever the record's length.
    with django_assert_max_num_queries(20):
        response = client.get(reverse("supervision:case_review", args=[referral.pk]))
    page = response.content.decode()
    ctx = response.context
    reasons = [r.text for r in ctx["reasons"]]
    today = timezone.localdate()
    assert reasons[0] == f"PHQ-9 item 9 = 2 on {(today - timedelta(days=2)):%d/%m/%Y}"
    assert "not reviewed for 35 days" in reasons[1]
    assert ctx["question"] == "Is it time to step up?" and "Is it time to step up?" in page
    assert len(ctx["score_table"]) == sessions + 1 and ctx["score_columns"][:2] == ["PHQ9", "GAD7"]
    assert 'id="measures-chart"' in page and 'id="score-table"' in page
    assert 'id="session-notes"' in page and 'id="risk-history"' in page and 'id="step-history"' in page
    [previous] = ctx["previous_reviews"]
    actions = {a["what"].split(":")[0]: a for a in previous.actions}
    assert actions["Risk action"]["done"] is False and "not done by" in actions["Risk action"]["status"]
    assert actions[f"Next review by {(today - timedelta(days=7)):%d/%m/%Y}"]["status"] == "overdue"


def test_a_risk_action_met_by_its_owner_shows_done(team):
    pwp, supervisor = team
    referral = open_case(pwp)
    case_review_record(
        user=supervisor,
        referral=referral,
        decisions=["risk_action"],
        next_review_on=timezone.localdate() + timedelta(days=14),
        risk_action="Review the safety plan",
        risk_action_owner=pwp,
        risk_action_due=timezone.localdate() + timedelta(days=3),
    )
    risk_event_record(user=pwp, referral=referral, risk=RISK)
    from sessions.selectors import record_for_user
    from supervision.selectors import review_context

    context = review_context(referral=referral, record=record_for_user(user=supervisor, referral=referral))
    [action] = context["previous_reviews"][0].actions
    assert action["done"] is True and action["status"].startswith("done: risk reviewed by")


def test_a_rejected_review_keeps_what_was_typed(client, team):
    pwp, supervisor = team
    referral = open_case(pwp)
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:case_review", args=[referral.pk]),
        {
            "decisions": ["risk_action"],
            "notes": "Discussed the diary in detail",
            "next_review_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
            "risk_action": "Ring the GP today",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and not CaseReview.objects.exists()
    assert 'id="error-summary"' in page and "Name who owns the risk action." in page
    assert "Discussed the diary in detail" in page and "Ring the GP today" in page


# 2. The agenda -----------------------------------------------------------------------


def _flagged_cases(pwp, n, *, risk=1):
    cases = [open_case(pwp, opened_at=timezone.now() - timedelta(days=40 + i)) for i in range(n)]
    for case in cases[:risk]:
        log(pwp, case, days_ago=1, item9=1, risk=RISK)
    sweep()
    return cases


def test_the_clock_adds_up_to_the_hour_and_a_reviewed_row_keeps_its_name_and_decision(client, team):
    pwp, supervisor = team
    cases = _flagged_cases(pwp, 13)
    client.force_login(supervisor)
    client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    session = SupervisionSession.objects.get()
    assert session.agenda_minutes == [10] + [5] * 12 and len(session.agenda) == 13
    first = session.agenda[0]
    assert first == cases[0].pk  # the risk case first
    client.post(
        reverse("supervision:session_case", args=[session.pk, first]),
        {"decisions": ["continue"], "next_review_on": (timezone.localdate() + timedelta(days=28)).isoformat()},
    )
    response = client.get(reverse("supervision:session", args=[session.pk]))
    ctx = response.context
    assert (ctx["used"], ctx["spare"]) == (60, 0)
    assert [(r["start"], r["end"]) for r in ctx["fitted"][:2]] == [("0:00", "0:10"), ("0:10", "0:15")]
    assert len(ctx["fitted"]) == 11 and len(ctx["carried"]) == 2
    top = ctx["fitted"][0]
    assert top["referral"].pk == first and top["decisions"] == ["Continue"]
    page = response.content.decode()
    assert cases[0].patient.family_name in page and "Carried to the next session (2)" in page


def test_the_overdue_carried_over_come_first_next_time(client, team):
    pwp, supervisor = team
    cases = _flagged_cases(pwp, 13)
    client.force_login(supervisor)
    client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    session = SupervisionSession.objects.get()
    carried = session.agenda[11:]
    SupervisionSession.objects.filter(pk=session.pk).update(started_at=timezone.now() - timedelta(days=7))
    client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    again = SupervisionSession.objects.order_by("-started_at").first()
    assert again.agenda[0] == cases[0].pk  # risk stays first
    assert again.agenda[1:3] == carried


def test_the_supervisor_reorders_and_adds_a_case(client, team):
    pwp, supervisor = team
    _flagged_cases(pwp, 3)
    quiet = open_case(pwp)  # not flagged
    client.force_login(supervisor)
    client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    session = SupervisionSession.objects.get()
    before = list(session.agenda)
    url = reverse("supervision:agenda_change", args=[session.pk])
    client.post(url, {"action": "down", "referral": str(before[0])})
    client.post(url, {"action": "add", "referral": str(quiet.pk)})
    session.refresh_from_db()
    assert session.agenda == [before[1], before[0], before[2], quiet.pk]
    assert session.agenda_minutes == [5, 10, 5, 5]
    other = open_case(UserFactory(role=Role.PWP, service=pwp.service))
    response = client.post(url, {"action": "add", "referral": str(other.pk)}, follow=True)
    assert "Choose one of the practitioner" in response.content.decode()
    session.refresh_from_db()
    assert other.pk not in session.agenda


# 6. Where a moved case went ---------------------------------------------------------------


def test_after_a_step_up_to_a_therapist_outside_the_line_the_supervisor_sees_where_it_went(client, team):
    pwp, supervisor = team
    hit = UserFactory(role=Role.HIT, service=pwp.service, first_name="Hana", last_name="Therapist")
    referral = open_case(pwp)
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:case_review", args=[referral.pk]),
        {
            "decisions": ["step_up"],
            "next_review_on": (timezone.localdate() + timedelta(days=28)).isoformat(),
            "step_up_practitioner": hit.pk,
        },
    )
    change = StepChange.objects.get(referral=referral, kind="step_up")
    assert response.status_code == 302
    assert response.url.startswith(reverse("stepped_care:step_change_outcome", args=[change.pk]))
    assert client.get(reverse("sessions:record", args=[referral.pk])).status_code == 404  # outside the line now
    page = client.get(response.url).content.decode()
    assert "to step 3, now held by Hana Therapist" in page and referral.patient.family_name in page
    assert AccessLog.objects.filter(user=supervisor, object_type="stepchange", object_id=str(change.pk)).exists()

    # the PWP who held it sees it in "recently moved", read-only, for 14 days
    client.force_login(pwp)
    page = client.get(reverse("stepped_care:recently_moved")).content.decode()
    assert referral.patient.family_name in page and "Hana Therapist" in page
    assert referral.patient.nhs_number not in page
    assert client.get(reverse("stepped_care:step_change_outcome", args=[change.pk])).status_code == 200
    StepChange.objects.filter(pk=change.pk).update(decided_at=timezone.now() - timedelta(days=15))
    assert referral.patient.family_name not in client.get(reverse("stepped_care:recently_moved")).content.decode()
    assert client.get(reverse("stepped_care:step_change_outcome", args=[change.pk])).status_code == 404

    # nobody else sees it
    client.force_login(UserFactory(role=Role.PWP, service=pwp.service))
    assert client.get(reverse("stepped_care:step_change_outcome", args=[change.pk])).status_code == 404


def test_a_discharge_shows_its_end_code(client, team):
    pwp, supervisor = team
    referral = open_case(pwp)
    # seen and treated (end code 46 needs an attended treatment contact: issue 14)
    log(pwp, referral, days_ago=14)
    log(pwp, referral, days_ago=7)
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:case_review", args=[referral.pk]),
        {
            "decisions": ["discharge"],
            "next_review_on": (timezone.localdate() + timedelta(days=28)).isoformat(),
            "end_code": "46",
        },
        follow=True,
    )
    assert "Discharged on" in response.content.decode() and "end code 46" in response.content.decode()


# 7. Compliance ---------------------------------------------------------------------------


def test_compliance_counts_carried_and_minutes_per_case_from_the_clock(client, team):
    pwp, supervisor = team
    _flagged_cases(pwp, 13)
    client.force_login(supervisor)
    client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    session = SupervisionSession.objects.get()
    for referral_id in session.agenda[:2]:
        client.post(
            reverse("supervision:session_case", args=[session.pk, referral_id]),
            {"decisions": ["continue"], "next_review_on": (timezone.localdate() + timedelta(days=28)).isoformat()},
        )
    [row] = client.get(reverse("supervision:compliance")).context["rows"]
    assert row["carried"] == 2
    assert row["minutes_per_case"] == 7.5 and row["cases_in_sessions"] == 2  # (10 + 5) / 2


def test_other_supervisors_get_404_on_the_agenda_and_its_changes(client, team):
    pwp, supervisor = team
    _flagged_cases(pwp, 2)
    client.force_login(supervisor)
    client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    session = SupervisionSession.objects.get()
    stranger = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=stranger, supervisee=UserFactory(service=pwp.service))
    client.force_login(stranger)
    assert client.get(reverse("supervision:session", args=[session.pk])).status_code == 404
    url = reverse("supervision:agenda_change", args=[session.pk])
    assert client.post(url, {"action": "down", "referral": str(session.agenda[0])}).status_code == 404
