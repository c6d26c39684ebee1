from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog, Role
from sessions.models import TherapySession
from sessions.services import RiskInput, therapy_session_record
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, gad7, phq9


def add_sessions(pwp, referral, count, *, start_days_ago=None):
    start = timezone.now() - timedelta(days=start_days_ago or count * 7 + 1)
    for n in range(count):
        therapy_session_record(
            user=pwp,
            referral=referral,
            started_at=start + timedelta(days=7 * n),
            appointment_type="02",
            attendance="5",
            medium="02",
            measure_items={"PHQ9": phq9(max(0, 16 - n)), "GAD7": gad7(max(0, 12 - n))},
            enqueue_followup=False,
        )


def caseload_of(pwp, size):
    referrals = [
        ReferralFactory(
            patient__service=pwp.service,
            assigned_practitioner=pwp,
            received_on=timezone.localdate() - timedelta(days=200),
        )
        for _ in range(size)
    ]
    for referral in referrals:
        add_sessions(pwp, referral, 2)
    return referrals


@pytest.mark.parametrize("size", [3, 25])
def test_caseload_query_count_does_not_grow(client, db, django_assert_max_num_queries, size):
    pwp = UserFactory(role=Role.PWP)
    caseload_of(pwp, size)
    client.force_login(pwp)
    # session, user, the caseload (one statement: every figure a LATERAL join),
    # the audit insert with its savepoint, the next appointments (the appointments
    # app's hook): the same for 3 cases or 25.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("sessions:caseload"))
    assert response.status_code == 200
    rows = response.context["rows"]
    assert len(rows) == size
    assert rows[0].phq9_first == 16 and rows[0].phq9_last == 15 and rows[0].sessions_count == 2


@pytest.mark.parametrize("sessions", [2, 20])
def test_record_page_query_count_does_not_grow(client, db, django_assert_max_num_queries, sessions):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service, assigned_practitioner=pwp, received_on=timezone.localdate() - timedelta(days=300)
    )
    add_sessions(pwp, referral, sessions)
    client.force_login(pwp)
    # session, user, the referral (+ audit insert and savepoints), sessions with
    # their measures (one query), risks, step changes, amendments: fixed whatever the length.
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sessions:record", args=[referral.pk]))
    assert response.status_code == 200
    series = {s["code"]: s for s in response.context["chart_series"]}
    assert len(series["PHQ9"]["points"]) == sessions
    assert series["PHQ9"]["cutoff"] == 10


@pytest.mark.parametrize("amendments", [1, 5])
def test_ended_record_lists_its_amendments_in_a_fixed_number_of_queries(
    client, db, django_assert_max_num_queries, amendments
):
    from patients.codes import ReferralStatus
    from sessions.services import amendment_record

    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    add_sessions(pwp, referral, 2)
    referral.status, referral.ended_on, referral.end_code = ReferralStatus.ENDED, timezone.localdate(), "46"
    referral.save()
    for n in range(amendments):
        amendment_record(user=pwp, referral=referral, text=f"Correction {n}", reason="Typing error")
    client.force_login(pwp)
    # as above; who recorded each amendment comes with it (no query per amendment)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sessions:record", args=[referral.pk]))
    content = response.content.decode()
    assert all(f"Correction {n}" in content for n in range(amendments))
    assert content.count(f"by {pwp}:") == amendments


def test_caseload_shows_risk_marker_and_trainee_capacity(client, db):
    trainee = UserFactory(
        role=Role.PWP, is_trainee=True, band=4, training_start=timezone.localdate() - timedelta(days=200)
    )
    referral = ReferralFactory(patient__service=trainee.service, assigned_practitioner=trainee)
    therapy_session_record(
        user=trainee,
        referral=referral,
        started_at=timezone.now() - timedelta(hours=1),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(12, item9=1)},
        risk=RiskInput("medium", "none", "none", "medium", plan="Plan agreed"),
        enqueue_followup=False,
    )
    client.force_login(trainee)
    response = client.get(reverse("sessions:caseload"))
    assert response.context["rows"][0].risk_marker is True
    assert response.context["capacity"] == 32  # 80% of 40 between month 3 and month 10
    assert b"trainee rules" in response.content and b"risk-marker" in response.content


def clinical_urls(referral):
    return [
        reverse(name, args=[referral.pk])
        for name in (
            "sessions:record",
            "sessions:session_create",
            "sessions:assessment_create",
            "sessions:step_propose",
            "sessions:risk_create",
            "sessions:amend",
        )
    ]


def test_another_pwps_patient_is_404_on_every_page_and_form(client, db):
    pwp, other = UserFactory(role=Role.PWP), UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.force_login(other)
    for url in clinical_urls(referral):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"notes": "x"}).status_code == 404, url
    assert not TherapySession.objects.exists()


def test_referral_admin_sees_no_clinical_record(client, db):
    referral = ReferralFactory()
    admin = UserFactory(role=Role.REFERRAL_ADMIN, service=referral.service)
    client.force_login(admin)
    assert client.get(reverse("sessions:record", args=[referral.pk])).status_code == 404
    assert client.get(reverse("sessions:caseload")).status_code == 404


def test_supervisor_reads_a_supervisees_record(client, db):
    pwp = UserFactory(role=Role.PWP)
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.force_login(supervisor)
    assert client.get(reverse("sessions:record", args=[referral.pk])).status_code == 200
    assert AccessLog.objects.filter(user=supervisor, action="view", object_type="referral").exists()


def test_invalid_session_form_keeps_everything_typed(client, db):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.force_login(pwp)
    data = {
        "started_at": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": "30",
        "notes": "Worked on a behavioural activation diary",
        "interventions": ["ba"],
        **{f"PHQ9_{i}": "1" for i in range(1, 10)},
        **{f"GAD7_{i}": "2" for i in range(1, 8)},
    }
    data["PHQ9_9"] = "0"
    response = client.post(reverse("sessions:session_create", args=[referral.pk]), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert "future" in str(form.errors["started_at"])
    assert form["notes"].value() == "Worked on a behavioural activation diary"
    assert form["PHQ9_3"].value() == "1" and form["GAD7_7"].value() == "2"
    assert form["interventions"].value() == ["ba"]
    assert not TherapySession.objects.exists()


def test_item9_without_risk_assessment_shows_the_risk_error(client, db):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.force_login(pwp)
    data = {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        **{f"PHQ9_{i}": "1" for i in range(1, 10)},
    }
    response = client.post(reverse("sessions:session_create", args=[referral.pk]), data)
    assert response.status_code == 200
    assert b"complete the risk assessment" in response.content
    data.update(
        {
            "risk_to_self": "medium",
            "risk_to_others": "none",
            "risk_from_others": "none",
            "level": "medium",
            "plan": "Safety plan agreed",
        }
    )
    response = client.post(reverse("sessions:session_create", args=[referral.pk]), data)
    assert response.status_code == 302
    assert TherapySession.objects.get().risk_recorded


def test_pwp_proposes_a_step_up_and_records_a_risk_event(client, db):
    from sessions.models import RiskAssessment
    from stepped_care.models import StepChange

    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.force_login(pwp)
    url = reverse("sessions:step_propose", args=[referral.pk])
    response = client.post(
        url, {"kind": "step_up", "to_step": "2", "effective_on": timezone.localdate(), "reason": "No improvement"}
    )
    assert response.status_code == 200 and "higher step" in str(response.context["form"].errors["to_step"])
    response = client.post(
        url,
        {
            "kind": "step_up",
            "to_step": "3",
            "effective_on": timezone.localdate(),
            "reason": "No reliable improvement after 6 sessions",
        },
    )
    assert response.status_code == 302
    change = StepChange.objects.get()
    assert (change.kind, change.status, change.to_step, change.proposed_by) == ("step_up", "proposed", 3, pwp)
    referral.refresh_from_db()
    assert referral.current_step == 2  # unchanged until the supervisor confirms
    response = client.post(
        reverse("sessions:risk_create", args=[referral.pk]),
        {
            "risk_to_self": "high",
            "risk_to_others": "none",
            "risk_from_others": "low",
            "level": "high",
            "plan": "Crisis team called",
            "actions": "Follow up tomorrow",
        },
    )
    assert response.status_code == 302
    assert RiskAssessment.objects.get().trigger == "event"
