"""Issue 21 item 3: the review of a not-on-track case records what was decided
about it (a TrackDecision, and the obstacle when the decision is to address one),
required only while the case has an open not-on-track flag; the review then
resolves that flag. Web form and API, one service rule."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.services import api_token_issue
from supervision.models import CaseReview, Flag, FlagReason

from .conftest import log, open_case
from .test_not_on_track import _course


def _not_on_track(pwp):
    from feedback.models import ExpectedCourse

    if not ExpectedCourse.objects.filter(service=pwp.service).exists():
        _course(pwp.service, upper=12)
    referral = open_case(pwp)
    log(pwp, referral, days_ago=14, phq=16, gad=6)
    log(pwp, referral, days_ago=7, phq=15, gad=6)  # the follow-up (through the outbox) flags it
    from supervision.sweep import sweep

    sweep(referral_ids=[referral.pk])
    assert Flag.objects.filter(referral=referral, reason=FlagReason.NOT_ON_TRACK, resolved_at__isnull=True).exists()
    return referral


def _open_flag(referral):
    return Flag.objects.filter(referral=referral, reason=FlagReason.NOT_ON_TRACK, resolved_at__isnull=True).exists()


def _post(client, referral, **extra):
    data = {"decisions": ["continue"], "next_review_on": timezone.localdate() + timedelta(days=14), **extra}
    return client.post(reverse("supervision:case_review", args=[referral.pk]), data)


def test_the_web_form_asks_and_requires_the_decision_when_not_on_track(client, team):
    pwp, supervisor = team
    referral = _not_on_track(pwp)
    client.force_login(supervisor)
    page = client.get(reverse("supervision:case_review", args=[referral.pk]))
    assert b'id="not-on-track-decision"' in page.content
    response = _post(client, referral)
    assert response.status_code == 200
    assert "record what was decided" in str(response.context["form"].errors["track_decision"])
    response = _post(client, referral, track_decision="address_obstacle")
    assert "Name the obstacle" in str(response.context["form"].errors["track_obstacle"])
    assert not CaseReview.objects.exists() and _open_flag(referral)
    response = _post(client, referral, track_decision="address_obstacle", track_obstacle="engagement")
    assert response.status_code == 302
    review = CaseReview.objects.get()
    assert (review.track_decision, review.track_obstacle) == ("address_obstacle", "engagement")
    assert not _open_flag(referral)
    assert Flag.objects.get(referral=referral, reason=FlagReason.NOT_ON_TRACK).resolved_by_review == review


def test_a_case_on_track_is_reviewed_without_it(client, team):
    pwp, supervisor = team
    referral = open_case(pwp)
    client.force_login(supervisor)
    page = client.get(reverse("supervision:case_review", args=[referral.pk]))
    assert b'id="not-on-track-decision"' not in page.content
    assert _post(client, referral).status_code == 302
    assert CaseReview.objects.get().track_decision == ""


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({}, "track_decision"),
        ({"track_decision": "nonsense"}, "track_decision"),
        ({"track_decision": "address_obstacle"}, "track_obstacle"),
        ({"track_decision": "other", "track_obstacle": "alliance"}, "track_obstacle"),
        ({"track_decision": "step_up"}, "track_decision"),  # a step up is also a decision, so it is carried out
    ],
)
def test_the_api_gives_field_errors(team, extra, field):
    pwp, supervisor = team
    referral = _not_on_track(pwp)
    api = APIClient()
    _, secret = api_token_issue(user=supervisor, name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "referral": str(referral.pk),
        "decisions": ["continue"],
        "next_review_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        **extra,
    }
    response = api.post("/api/v1/reviews/", body, format="json")
    assert response.status_code == 400
    assert field in response.json() or field in str(response.json())
    assert not CaseReview.objects.exists() and _open_flag(referral)


def test_the_api_records_the_decision(team):
    pwp, supervisor = team
    referral = _not_on_track(pwp)
    api = APIClient()
    _, secret = api_token_issue(user=supervisor, name="t")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    body = {
        "referral": str(referral.pk),
        "decisions": ["change_intervention"],
        "next_review_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        "track_decision": "continue_with_change",
    }
    response = api.post("/api/v1/reviews/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["track_decision"] == "continue_with_change"
    assert not _open_flag(referral)
    # a case no longer flagged refuses a not-on-track decision
    body["next_review_on"] = (timezone.localdate() + timedelta(days=10)).isoformat()
    response = api.post("/api/v1/reviews/", body, format="json")
    assert response.status_code == 400 and "track_decision" in str(response.json())


def test_compliance_shows_the_loop_per_supervisee(client, team, django_assert_max_num_queries):
    """Issue 21 item 3: per supervisee, not-on-track cases reviewed within 7 days of
    the flag, and how PHQ-9 moved from the review to the latest score since."""
    pwp, supervisor = team
    prompt, late, unreviewed = (_not_on_track(pwp) for _ in range(3))
    # the late case's flag was raised 10 days ago
    Flag.objects.filter(referral=late, reason=FlagReason.NOT_ON_TRACK).update(
        raised_at=timezone.now() - timedelta(days=10)
    )
    client.force_login(supervisor)
    for referral in (prompt, late):
        assert _post(client, referral, track_decision="continue_with_change").status_code == 302
    log(pwp, prompt, days_ago=0, phq=8, gad=6)  # after the review: PHQ-9 15 -> 8, a reliable fall (6)
    # budget: session and user, supervisees, open cases, supervision sessions, the reviews in
    # them (none here), and issue 21's one query of not-on-track flags, whatever the numbers
    with django_assert_max_num_queries(7):
        response = client.get(reverse("supervision:compliance"))
    [row] = response.context["rows"]
    assert (row["not_on_track"], row["nt_reviewed_7"]) == (3, 1)
    assert row["nt_followed"] == 1 and row["nt_phq_change"] == -7.0
    assert (row["nt_phq_fell"], row["nt_phq_rose"]) == (1, 0)
    assert b"1 of 3 (33%)" in response.content
    assert b"-7.0 points on average over 1 case; 1 fell and 0 rose reliably" in response.content
    assert unreviewed.flags.filter(resolved_at__isnull=True).exists()


def test_the_dashboard_puts_not_on_track_after_risk_and_before_the_overdue_review(client, team):
    from .conftest import RISK

    pwp, supervisor = team
    overdue = open_case(pwp, opened_at=timezone.now() - timedelta(days=60))
    stalled = _not_on_track(pwp)
    risky = open_case(pwp)
    log(pwp, risky, days_ago=1, item9=1, risk=RISK)
    from supervision.sweep import sweep

    sweep()
    client.force_login(supervisor)
    cases = list(client.get(reverse("supervision:dashboard")).context["cases"])
    assert [c.pk for c in cases][:3] == [risky.pk, stalled.pk, overdue.pk]
