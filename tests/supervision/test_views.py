from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from supervision.models import CaseReview, Flag, SupervisionSession
from supervision.sweep import sweep
from tests.factories import SupervisionAssignmentFactory, UserFactory

from .conftest import RISK, log, open_case


def flagged(pwp, n):
    cases = [open_case(pwp, opened_at=timezone.now() - timedelta(days=40)) for _ in range(n)]
    log(pwp, cases[0], days_ago=1, item9=1, risk=RISK)
    sweep()
    return cases


@pytest.mark.parametrize("size", [3, 20])
def test_dashboard_query_budget(client, team, django_assert_max_num_queries, size):
    pwp, supervisor = team
    flagged(pwp, size)
    client.force_login(supervisor)
    # session, user, the filter form's supervisees, the flagged cases (one query: reasons,
    # risk, question as subqueries), the audit insert (+ savepoints), the counts per
    # supervisee and their names: constant whatever the number of cases.
    with django_assert_max_num_queries(10):
        response = client.get(reverse("supervision:dashboard"))
    cases = response.context["cases"]
    assert len(cases) == size
    assert cases[0].has_risk and "risk" in cases[0].reasons  # risk first


@pytest.mark.parametrize("size", [3, 20])
def test_agenda_query_budget_and_it_fits_the_hour(client, team, django_assert_max_num_queries, size):
    pwp, supervisor = team
    flagged(pwp, size)
    client.force_login(supervisor)
    response = client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk})
    session = SupervisionSession.objects.get()
    assert response.status_code == 302
    # session and user, the session, the visible agenda cases, this session's reviews and the
    # moves they made, the open flags, the facts (referrals, flags, measures, risk, sessions,
    # proposals), the cases to add, the audit insert: constant whatever the agenda's length.
    with django_assert_max_num_queries(16):
        response = client.get(reverse("supervision:session", args=[session.pk]))
    fitted, carried = response.context["fitted"], response.context["carried"]
    assert fitted[0]["has_risk"]
    assert len(fitted) == min(size, 11)  # 10 minutes for the risk case, 5 for each other
    assert len(fitted) + len(carried) == size  # nothing dropped: the rest is carried
    assert response.context["used"] + response.context["spare"] == 60


def test_other_supervisors_get_404(client, team):
    pwp, _ = team
    referral = flagged(pwp, 1)[0]
    stranger = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=stranger, supervisee=UserFactory(service=pwp.service))
    client.force_login(stranger)
    assert client.get(reverse("supervision:case_review", args=[referral.pk])).status_code == 404
    assert (
        client.post(reverse("supervision:case_review", args=[referral.pk]), {"decisions": ["continue"]}).status_code
        == 404
    )
    assert client.get(reverse("supervision:dashboard")).context["cases"] == []
    assert client.post(reverse("supervision:session_start"), {"supervisee": pwp.pk}).status_code == 404
    client.force_login(pwp)
    assert client.get(reverse("supervision:dashboard")).status_code == 404


def test_step_up_decision_in_a_few_fields(client, team):
    pwp, supervisor = team
    referral = flagged(pwp, 1)[0]
    hit = UserFactory(role=Role.HIT, service=pwp.service)
    client.force_login(supervisor)
    url = reverse("supervision:case_review", args=[referral.pk])
    response = client.post(url, {"decisions": ["step_up"], "next_review_on": timezone.localdate() + timedelta(days=60)})
    assert "every four weeks" in str(response.context["form"].errors["next_review_on"])
    response = client.post(
        url,
        {
            "decisions": ["step_up", "risk_action"],
            "step_up_practitioner": hit.pk,
            "risk_action": "Crisis plan",
            "risk_action_owner": pwp.pk,
            "risk_action_due": timezone.localdate() + timedelta(days=2),
            "next_review_on": timezone.localdate() + timedelta(days=14),
        },
    )
    assert response.status_code == 302
    referral.refresh_from_db()
    assert referral.current_step == 3 and referral.assigned_practitioner == hit
    assert not Flag.objects.filter(referral=referral, resolved_at__isnull=True).exists()
    assert CaseReview.objects.get().reviewer == supervisor


def test_pwp_asks_for_supervision_and_sees_flags(client, team):
    pwp, _ = team
    referral = open_case(pwp)
    client.force_login(pwp)
    response = client.post(reverse("supervision:request", args=[referral.pk]), {"question": "Step up?"})
    assert response.status_code == 302
    response = client.get(reverse("sessions:caseload"))
    assert response.context["rows"][0].open_flags == 1


def test_clinical_skills_log_and_compliance(client, team):
    pwp, supervisor = team
    open_case(pwp, last_reviewed_at=timezone.now() - timedelta(days=3))
    open_case(pwp, last_reviewed_at=timezone.now() - timedelta(days=40))
    client.force_login(supervisor)
    response = client.post(
        reverse("supervision:clinical_skills"),
        {"held_on": timezone.localdate(), "format": "individual", "attendees": [pwp.pk], "duration_minutes": 60},
    )
    assert response.status_code == 302
    rows = client.get(reverse("supervision:compliance")).context["rows"]
    assert rows[0]["open"] == 2 and rows[0]["reviewed"] == 1 and rows[0]["share"] == 0.5
    assert rows[0]["weeks_without"] == 12
