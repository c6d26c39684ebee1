"""Issue 14 item 2: an end date lies between the last recorded contact and
today, and the end code agrees with the contacts; checked when a discharge is
proposed and again when the supervisor confirms it."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from patients.codes import END_CODE_GROUPS, EndCode, ReferralStatus
from patients.models import Referral
from stepped_care import discharge
from stepped_care.models import StepChangeKind
from stepped_care.services import step_change_decide, step_change_propose
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, log_session

TODAY = date(2026, 11, 29)


# The pure rules, exhaustively ------------------------------------------------


@pytest.mark.parametrize("end_code", sorted(EndCode.values))
@pytest.mark.parametrize("attended_any,attended_treatment", [(False, False), (True, False), (True, True)])
def test_every_end_code_against_every_kind_of_record(end_code, attended_any, attended_treatment):
    error = discharge.end_code_error(end_code, attended_any=attended_any, attended_treatment=attended_treatment)
    if end_code in END_CODE_GROUPS["seen_and_treated"]:
        expected_ok = attended_treatment
    elif end_code in END_CODE_GROUPS["not_seen"]:
        expected_ok = not attended_any
    elif end_code in END_CODE_GROUPS["seen_not_treated"]:
        expected_ok = not attended_treatment
    else:  # 95, 96 not known
        expected_ok = True
    assert (error is None) == expected_ok


def test_the_rule_module_groups_match_the_national_groups():
    assert END_CODE_GROUPS["not_seen"] == discharge.NOT_SEEN
    assert END_CODE_GROUPS["seen_not_treated"] == discharge.SEEN_NOT_TREATED
    assert END_CODE_GROUPS["seen_and_treated"] == discharge.SEEN_AND_TREATED


@given(
    received=st.integers(min_value=0, max_value=400),
    last=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    ended=st.integers(min_value=-30, max_value=400),
)
def test_an_end_date_is_accepted_exactly_between_the_last_contact_and_today(received, last, ended):
    # days before TODAY; a contact is never before the referral
    received_on = TODAY - timedelta(days=received)
    last_contact_on = None if last is None else max(TODAY - timedelta(days=last), received_on)
    ended_on = TODAY - timedelta(days=ended)
    error = discharge.end_date_error(ended_on, received_on=received_on, last_contact_on=last_contact_on, today=TODAY)
    ok = received_on <= ended_on <= TODAY and (last_contact_on is None or ended_on >= last_contact_on)
    assert (error is None) == ok


# The services: proposal and confirmation ------------------------------------


@pytest.fixture
def case(db):
    pwp = UserFactory(role=Role.PWP)
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    return pwp, supervisor, referral


def _propose(pwp, referral, *, days_ago=0, end_code="46"):
    return step_change_propose(
        user=pwp,
        referral=referral,
        kind=StepChangeKind.DISCHARGE,
        reason="Goals met",
        effective_on=timezone.localdate() - timedelta(days=days_ago),
        end_code=end_code,
    )


def test_a_discharge_before_the_last_contact_is_refused(case):
    pwp, _, referral = case
    log_session(pwp, referral, days_ago=10, phq=12, gad=9)
    log_session(pwp, referral, days_ago=3, phq=8, gad=6)
    with pytest.raises(ValidationError) as refused:
        _propose(pwp, referral, days_ago=8)
    assert "after this end date" in refused.value.message_dict["effective_on"][0]


def test_a_discharge_in_the_future_is_refused(case):
    pwp, _, referral = case
    log_session(pwp, referral, days_ago=10, phq=12, gad=9)
    with pytest.raises(ValidationError) as refused:
        _propose(pwp, referral, days_ago=-30)
    assert "future" in refused.value.message_dict["effective_on"][0]


def test_seen_and_treated_without_a_treatment_contact_is_refused(case):
    pwp, _, referral = case
    log_session(pwp, referral, days_ago=10, phq=12, gad=9, kind="01")  # an assessment only
    with pytest.raises(ValidationError) as refused:
        _propose(pwp, referral, end_code="46")
    assert "no attended treatment appointment" in refused.value.message_dict["end_code"][0]


def test_not_seen_with_an_attended_contact_and_seen_not_treated_after_treatment_are_refused(case):
    pwp, _, referral = case
    log_session(pwp, referral, days_ago=10, phq=12, gad=9)  # attended treatment
    for code in ("50", "14"):
        with pytest.raises(ValidationError) as refused:
            _propose(pwp, referral, end_code=code)
        assert "end_code" in refused.value.message_dict


def test_a_discharge_that_agrees_with_the_record_ends_the_referral_on_confirmation(case):
    pwp, supervisor, referral = case
    log_session(pwp, referral, days_ago=10, phq=12, gad=9)
    change = _propose(pwp, referral, days_ago=2)
    step_change_decide(user=supervisor, change=change, confirm=True)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ENDED and referral.end_code == "46"
    assert referral.ended_on == timezone.localdate() - timedelta(days=2)


def test_confirmation_checks_again_a_contact_recorded_after_the_proposal(case):
    # given a discharge proposed 8 days back, then a contact recorded 3 days ago
    pwp, supervisor, referral = case
    log_session(pwp, referral, days_ago=20, phq=12, gad=9)
    change = _propose(pwp, referral, days_ago=8)
    log_session(pwp, referral, days_ago=3, phq=9, gad=7)

    # when the supervisor confirms, it is refused and the referral stays open
    with pytest.raises(ValidationError) as refused:
        step_change_decide(user=supervisor, change=change, confirm=True)
    assert "cannot be confirmed" in refused.value.message_dict["effective_on"][0]
    assert Referral.objects.get(pk=referral.pk).is_open
    # declining it still works
    step_change_decide(user=supervisor, change=change, confirm=False)


def test_the_api_answers_400_with_the_field_message(case):
    from tests.api.conftest import token_client

    pwp, _, referral = case
    log_session(pwp, referral, days_ago=10, phq=12, gad=9, kind="01")
    response = token_client(pwp).post(
        "/api/v1/step-changes/",
        {
            "referral": str(referral.pk),
            "kind": "discharge",
            "reason": "Goals met",
            "effective_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "end_code": "46",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "future" in response.json()["effective_on"][0]
