from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import AccessLog, Role
from patients.codes import ReferralStatus
from sessions.models import MeasureScore, RiskAssessment, TherapySession
from sessions.services import RiskInput, amendment_record, assessment_record, therapy_session_record
from stepped_care.models import StepChange
from tests.factories import ReferralFactory, UserFactory, gad7, phq9

RISK = RiskInput(
    risk_to_self="medium",
    risk_to_others="none",
    risk_from_others="none",
    level="medium",
    plan="Crisis line numbers given; GP informed",
    actions="Call back tomorrow",
)


@pytest.fixture
def case(db):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        status=ReferralStatus.WAITING,
        received_on=timezone.localdate() - timedelta(days=30),
    )
    return pwp, referral


def record(pwp, referral, **overrides):
    kwargs = {
        "started_at": timezone.now() - timedelta(hours=1),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": 30,
        "interventions": ["gsh"],
        "measure_items": {"PHQ9": phq9(14), "GAD7": gad7(11)},
    }
    kwargs.update(overrides)
    return therapy_session_record(user=pwp, referral=referral, **kwargs)


def test_session_scores_on_the_server_and_updates_the_referral(case):
    pwp, referral = case
    session = record(pwp, referral)
    scores = {m.instrument: m for m in session.measures.all()}
    assert scores["PHQ9"].total == 14 and scores["PHQ9"].band == "moderate" and scores["PHQ9"].caseness is True
    assert scores["GAD7"].total == 11 and scores["GAD7"].caseness is True
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.IN_TREATMENT
    assert referral.first_treatment_on == timezone.localtime(session.started_at).date()
    assert referral.last_contact_on == referral.first_treatment_on
    assert AccessLog.objects.filter(action="create", object_type="therapysession").count() == 1


def test_second_treatment_date_is_derived(case):
    pwp, referral = case
    record(pwp, referral, started_at=timezone.now() - timedelta(days=10))
    record(pwp, referral, started_at=timezone.now() - timedelta(days=3))
    referral.refresh_from_db()
    assert (referral.second_treatment_on - referral.first_treatment_on).days == 7


def test_missing_item_makes_the_measure_incomplete_not_zero(case):
    pwp, referral = case
    items = phq9(12)
    items[3] = None
    session = record(pwp, referral, measure_items={"PHQ9": items})
    score = session.measures.get()
    assert score.complete is False and score.total is None and score.caseness is None


@pytest.mark.parametrize("attendance", ["2", "3", "4", "7"])
def test_dna_or_cancellation_records_no_measures(case, attendance):
    pwp, referral = case
    with pytest.raises(ValidationError) as exc:
        record(pwp, referral, attendance=attendance)
    assert "attendance" in exc.value.message_dict
    session = record(pwp, referral, attendance=attendance, measure_items={})
    assert not session.measures.exists()
    referral.refresh_from_db()
    assert referral.first_treatment_on is None  # a DNA is not treatment


def test_item9_above_zero_requires_a_risk_assessment(case):
    pwp, referral = case
    with pytest.raises(ValidationError) as exc:
        record(pwp, referral, measure_items={"PHQ9": phq9(12, item9=1)})
    assert "risk" in exc.value.message_dict
    assert not TherapySession.objects.exists() and not MeasureScore.objects.exists()
    session = record(pwp, referral, measure_items={"PHQ9": phq9(12, item9=1)}, risk=RISK)
    assert session.risk_recorded
    assessment = RiskAssessment.objects.get()
    assert assessment.trigger == "phq9_item9" and assessment.level == "medium"


def test_practitioner_recorded_risk_requires_assessment(case):
    pwp, referral = case
    with pytest.raises(ValidationError):
        record(pwp, referral, risk_recorded=True)
    with pytest.raises(ValidationError) as exc:
        record(pwp, referral, risk_recorded=True, risk=RiskInput("low", "none", "none", "low", plan=" "))
    assert "plan" in exc.value.message_dict


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"started_at": timezone.now() + timedelta(days=2)}, "started_at"),
        ({"started_at": timezone.now() - timedelta(days=400)}, "started_at"),
        ({"appointment_type": "99"}, "appointment_type"),
        ({"attendance": "1"}, "attendance"),
        ({"medium": "zz"}, "medium"),
        ({"duration_minutes": 600}, "duration_minutes"),
        ({"interventions": ["lobotomy"]}, "interventions"),
        ({"measure_items": {"PHQ9": [4, 0, 0, 0, 0, 0, 0, 0, 0]}}, "PHQ9"),
        ({"measure_items": {"PHQ9": [1, 1, 1]}}, "PHQ9"),
        ({"measure_items": {"XYZ": [1]}}, "measures"),
    ],
)
def test_bad_input_is_refused_with_a_field_message_and_nothing_written(case, overrides, field):
    pwp, referral = case
    with pytest.raises(ValidationError) as exc:
        record(pwp, referral, **overrides)
    assert field in exc.value.message_dict
    assert not TherapySession.objects.exists()


def test_ended_referral_is_read_only_except_for_amendments(case):
    pwp, referral = case
    referral.status, referral.ended_on, referral.end_code = ReferralStatus.ENDED, timezone.localdate(), "46"
    referral.save()
    with pytest.raises(ValidationError, match="read-only"):
        record(pwp, referral)
    amendment = amendment_record(user=pwp, referral=referral, text="Last session was by video", reason="Typo")
    assert amendment.referral == referral
    with pytest.raises(ValidationError):
        amendment_record(user=pwp, referral=referral, text="x", reason="")


def test_assessment_records_descriptor_and_step_decision(case):
    pwp, referral = case
    referral.status = ReferralStatus.RECEIVED
    referral.save()
    assessment_record(
        user=pwp,
        referral=referral,
        problem_descriptor="F411",
        step=2,
        step_reason="Moderate GAD",
        started_at=timezone.now() - timedelta(hours=2),
        appointment_type="01",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(8), "GAD7": gad7(13)},
    )
    referral.refresh_from_db()
    assert referral.problem_descriptor == "F411" and referral.current_step == 2
    assert referral.status == ReferralStatus.WAITING and referral.assessed_on is not None
    change = StepChange.objects.get()
    assert change.kind == "allocation" and change.status == "confirmed" and change.decided_by == pwp


def test_assessment_records_the_primary_and_secondary_problems_dated_that_day(case):
    """IDS603 (decision 023): the assessment's problem is the new primary, dated the
    assessment; secondaries chosen with it are dated the same day."""
    pwp, referral = case
    started = timezone.now() - timedelta(hours=2)
    kwargs = dict(
        user=pwp,
        referral=referral,
        step=2,
        step_reason="Moderate GAD with low mood",
        started_at=started,
        appointment_type="01",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(8), "GAD7": gad7(13)},
    )
    with pytest.raises(ValidationError) as exc:
        assessment_record(problem_descriptor="F411", secondary_problems=["F411"], **kwargs)
    assert "secondary_problems" in exc.value.message_dict
    assert not TherapySession.objects.exists()
    assessment_record(problem_descriptor="F411", secondary_problems=["F32", "F510"], **kwargs)
    referral.refresh_from_db()
    day = timezone.localtime(started).date()
    live = referral.presenting_problems.filter(removed_at__isnull=True)
    assert referral.problem_descriptor == "F411"
    assert set(live.values_list("kind", "code", "recorded_on")) == {
        ("P", "F32", referral.received_on),  # the referral's own, before the assessment
        ("P", "F411", day),
        ("S", "F32", day),
        ("S", "F510", day),
    }


def test_step2_refused_for_exclusions_without_override(case):
    pwp, referral = case
    kwargs = dict(
        user=pwp,
        referral=referral,
        problem_descriptor="F32",
        step=2,
        step_reason="Mild depression",
        started_at=timezone.now() - timedelta(hours=2),
        appointment_type="01",
        attendance="5",
        medium="01",
    )
    with pytest.raises(ValidationError) as exc:
        assessment_record(exclusions=["bipolar"], **kwargs)
    assert "override_reason" in exc.value.message_dict
    assert not TherapySession.objects.exists()
    assessment_record(exclusions=["bipolar"], override_reason="Stable for 5 years; psychiatrist agrees", **kwargs)
    assert StepChange.objects.get().override_reason.startswith("Stable")


def test_under_18_is_worked_out_from_the_date_of_birth(case):
    pwp, referral = case
    patient = referral.patient
    patient.date_of_birth = timezone.localdate() - timedelta(days=17 * 365)
    patient.save()
    with pytest.raises(ValidationError) as exc:
        assessment_record(
            user=pwp,
            referral=referral,
            problem_descriptor="F32",
            step=2,
            step_reason="r",
            started_at=timezone.now() - timedelta(hours=2),
            appointment_type="01",
            attendance="5",
            medium="01",
        )
    assert "override_reason" in exc.value.message_dict


def test_nul_characters_are_refused_by_the_service_itself(db):
    # The rule lives in the service, so the form and the API both have it.
    from sessions.services import risk_event_record

    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    with pytest.raises(ValidationError) as session_error:
        therapy_session_record(
            user=pwp,
            referral=referral,
            started_at=timezone.now() - timedelta(hours=1),
            appointment_type="02",
            attendance="5",
            medium="02",
            notes="a\x00b",
            enqueue_followup=False,
        )
    assert "notes" in session_error.value.message_dict
    risk = RiskInput(risk_to_self="low", risk_to_others="none", risk_from_others="none", level="low", plan="p\x00")
    with pytest.raises(ValidationError) as risk_error:
        risk_event_record(user=pwp, referral=referral, risk=risk)
    assert "plan" in risk_error.value.message_dict
    assert not TherapySession.objects.filter(referral=referral).exists()
