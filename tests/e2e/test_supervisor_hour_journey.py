"""The supervisor's hour in real Chromium (issue 16): a risk case raised by a
session at the top of the agenda with no sweep run, a review made from the page
with everything visible, the agenda's clock adding up to the hour with the rest
carried, a notification followed to the case, and each role's landing page.

No Celery worker runs here: whatever shows was written in the request itself."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from sessions.services import RiskInput, risk_event_record
from supervision.models import CaseReview, Notification, SupervisionSession
from supervision.services import case_review_record, flag_request
from supervision.sweep import sweep
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory, log_session

from .test_session_journey import choose_items

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

RISK = RiskInput("medium", "none", "none", "medium", plan="Safety plan agreed")


@pytest.fixture
def team():
    pwp = UserFactory(username="pwp1", role=Role.PWP, first_name="Paula", last_name="Practitioner")
    supervisor = UserFactory(username="sup1", role=Role.SUPERVISOR, service=pwp.service, first_name="Sam")
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    return pwp, supervisor


def case(pwp, family_name, *, days_open=40, **kwargs):
    return ReferralFactory(
        patient__service=pwp.service,
        patient__family_name=family_name,
        patient__given_name="Alex",
        assigned_practitioner=pwp,
        received_on=timezone.localdate() - timedelta(days=200),
        opened_at=timezone.now() - timedelta(days=days_open),
        last_reviewed_at=None,
        problem_descriptor="F32",
        **kwargs,
    )


def test_a_risk_case_raised_by_a_session_reaches_the_top_of_the_agenda_without_the_hourly_job(page, login, team):
    # given three overdue cases already flagged, and a quiet case
    pwp, _ = team
    for n in range(3):
        case(pwp, f"Overdue{chr(65 + n)}", days_open=60 + n)
    sweep()
    quiet = case(pwp, "Riskington", days_open=5)

    # when the PWP logs a session on the quiet case with PHQ-9 item 9 = 2 (no sweep, no worker after it)
    login("pwp1")
    page.goto(f"/referrals/{quiet.pk}/sessions/new/")
    choose_items(page, "PHQ9", [2, 2, 2, 2, 1, 1, 1, 1, 2])
    page.get_by_label("Risk to self").select_option("medium")
    page.get_by_label("Risk to others").select_option("none")
    page.get_by_label("Risk from others").select_option("none")
    page.get_by_label("Overall risk level").select_option("medium")
    page.get_by_label("Safety plan").fill("Crisis numbers given; call tomorrow")
    page.get_by_role("button", name="Save session").click()
    page.wait_for_selector("#risk-history")
    page.get_by_role("button", name="Log out").click()

    # then the supervisor lands on supervision with the case at the top, told in the navigation
    login("sup1")
    page.wait_for_url("**/supervision/")
    expect(page.locator("#unread-count")).to_contain_text("1")
    expect(page.locator("#flagged-cases tbody tr").first).to_contain_text("Riskington")
    page.get_by_role("button", name="Open supervision with Paula").click()
    top = page.locator("#agenda tbody tr.agenda-row").first
    expect(top).to_contain_text("Riskington")
    expect(top).to_contain_text(f"PHQ-9 item 9 = 2 on {timezone.localdate():%d/%m/%Y}")
    expect(top).to_contain_text("0:00–0:10")


def _case_for_review(pwp, supervisor):
    referral = case(pwp, "Decideson", days_open=160)
    for n in range(5):
        log_session(pwp, referral, days_ago=150 - n * 14, phq=17 if n == 0 else 16, gad=12)
    old = case_review_record(
        user=supervisor,
        referral=referral,
        decisions=["risk_action"],
        next_review_on=timezone.localdate() + timedelta(days=1),
        risk_action="Call the GP",
        risk_action_owner=pwp,
        risk_action_due=timezone.localdate(),
    )
    CaseReview.objects.filter(pk=old.pk).update(
        reviewed_at=timezone.now() - timedelta(days=35), risk_action_due=timezone.localdate() - timedelta(days=30)
    )
    referral.__class__.objects.filter(pk=referral.pk).update(last_reviewed_at=timezone.now() - timedelta(days=35))
    log_session(
        pwp, referral, days_ago=2, phq=16, gad=12, item9=2, risk=RiskInput("medium", "none", "none", "medium", "Plan")
    )
    flag_request(user=pwp, referral=referral, question="Is it time to step up?")
    sweep()
    return referral


def test_a_review_made_from_the_page_with_everything_visible(page, login, team):
    pwp, supervisor = team
    referral = _case_for_review(pwp, supervisor)
    login("sup1")
    clicks = 0
    page.get_by_role("link", name="Review").first.click()
    clicks += 1

    # everything needed to decide is on the one page
    why = page.locator("#why-on-agenda")
    expect(why).to_contain_text(f"PHQ-9 item 9 = 2 on {timezone.localdate() - timedelta(days=2):%d/%m/%Y}")
    expect(why).to_contain_text("not reviewed for 35 days")
    expect(why).to_contain_text("no reliable improvement after 6 treatment sessions: PHQ-9 17 → 16")
    expect(page.locator("#pwp-question")).to_contain_text("Is it time to step up?")
    expect(page.locator("#measures-chart")).to_have_attribute("data-points", "12")
    expect(page.locator("#score-table tbody tr")).to_have_count(6)
    expect(page.locator("#previous-reviews")).to_contain_text("not done by")
    expect(page.locator("#risk-history")).to_contain_text("Medium")
    expect(page.locator("#step-history")).to_be_visible()
    expect(page.locator("#session-notes")).to_be_visible()

    # the decision is reached by keyboard from the top of the page: the link, then Tab to the first decision
    page.locator("#to-decision").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Continue", exact=True)).to_be_focused()

    # a decision by keyboard: a risk action without its owner is refused, and nothing typed is lost
    page.get_by_role("checkbox", name="Continue", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_role("checkbox", name="Risk action", exact=True).focus()
    page.keyboard.press("Space")
    page.get_by_role("textbox", name="Notes").fill("Agreed to continue; GP letter")
    page.locator("#id_risk_action").fill("Ring the GP")
    page.get_by_label("Risk action due").fill(f"{timezone.localdate() + timedelta(days=2):%Y-%m-%d}")
    page.get_by_role("button", name="Record review").press("Enter")
    expect(page.locator("#error-summary")).to_contain_text("Name who owns the risk action.")
    expect(page.get_by_role("textbox", name="Notes")).to_have_value("Agreed to continue; GP letter")
    expect(page.locator("#id_risk_action")).to_have_value("Ring the GP")
    expect(page.get_by_role("checkbox", name="Continue", exact=True)).to_be_checked()
    page.get_by_label("Risk action owner").select_option(label=str(pwp))
    clicks += 1
    page.get_by_role("button", name="Record review").click()
    clicks += 1
    expect(page.get_by_text("Review recorded.")).to_be_visible()
    review = CaseReview.objects.filter(referral=referral).order_by("-reviewed_at").first()
    assert review.decisions == ["continue", "risk_action"] and review.risk_action_owner == pwp
    assert review.next_review_on == timezone.localdate() + timedelta(days=28)  # the default
    assert clicks == 3


def test_the_agenda_clock_adds_up_to_the_hour_with_the_rest_carried(page, login, team):
    pwp, _ = team
    cases = [case(pwp, f"Case{chr(65 + n)}", days_open=40 + n) for n in range(13)]
    log_session(pwp, cases[0], days_ago=1, phq=15, gad=9, item9=1, risk=RISK)
    sweep()
    login("sup1")
    page.get_by_role("button", name="Open supervision with Paula").click()
    rows = page.locator("#agenda tbody tr.agenda-row")
    expect(rows).to_have_count(11)
    expect(rows.first).to_contain_text("0:00–0:10")
    expect(rows.last).to_contain_text("0:55–1:00")
    expect(page.locator("#clock-total")).to_contain_text("60 of 60 minutes planned")
    expect(page.locator("#carried li")).to_have_count(2)

    # a review moves on to the next case; back on the agenda the reviewed row keeps its name and decision
    rows.first.get_by_role("link", name="Review").click()
    page.get_by_role("checkbox", name="Continue", exact=True).check()
    page.get_by_role("checkbox", name="Risk action", exact=True).check()
    page.locator("#id_risk_action").fill("Call tomorrow")
    page.get_by_label("Risk action owner").select_option(label=str(pwp))
    page.get_by_label("Risk action due").fill(f"{timezone.localdate() + timedelta(days=1):%Y-%m-%d}")
    page.get_by_role("button", name="Record review").click()
    session = SupervisionSession.objects.get()
    page.wait_for_url(f"**/supervision/sessions/{session.pk}/cases/{session.agenda[1]}/")
    page.get_by_role("link", name="Back to the agenda with Paula").click()
    first = page.locator("#agenda tbody tr.agenda-row").first
    expect(first).to_contain_text("CaseA, Alex")
    expect(first).to_contain_text("Reviewed")
    expect(first).to_contain_text("Continue, Risk action")


def test_a_notification_followed_to_the_case(page, login, team):
    pwp, _ = team
    referral = case(pwp, "Notifyson", days_open=10)
    risk_event_record(user=pwp, referral=referral, risk=RISK)
    login("sup1")
    page.get_by_role("link", name="Notifications").click()
    item = page.locator("#notifications li").first
    expect(item).to_contain_text("Notifyson, Alex")
    expect(item).to_contain_text("Risk")
    item.get_by_role("link", name="Review Notifyson, Alex").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Notifyson")
    expect(page.locator("#why-on-agenda")).to_contain_text("risk recorded (medium)")
    assert Notification.objects.get().read_at is not None
    page.get_by_role("link", name="Notifications").click()
    expect(page.locator("#unread-count")).to_have_count(0)


@pytest.mark.parametrize(
    ("role", "path", "heading"),
    [
        (Role.SUPERVISOR, "/supervision/", "Flagged cases of my supervisees"),
        (Role.SERVICE_MANAGER, "/reports/", "Service report"),
        (Role.PWP, None, "My caseload"),
        (Role.HIT, None, "My caseload"),
        (Role.REFERRAL_ADMIN, None, None),
    ],
)
def test_each_role_lands_on_its_page(page, login, live_server, role, path, heading):
    from django.urls import reverse

    UserFactory(username="someone", role=role)
    login("someone")
    expected = (
        path
        or {
            Role.PWP: reverse("sessions:caseload"),
            Role.HIT: reverse("sessions:caseload"),
            Role.REFERRAL_ADMIN: reverse("stepped_care:incoming"),
        }[role]
    )
    assert page.url.removeprefix(live_server.url).split("?")[0].startswith(expected)
    if heading:
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)


def test_the_review_of_a_case_not_on_track_shows_its_course_and_records_the_decision(page, login, team):
    """Issue 21: the supervisor's review page of a not-on-track case draws the expected
    course behind the line and asks what was decided; the decision is saved by keyboard."""
    from feedback.models import ExpectedCourse, ExpectedCoursePoint
    from supervision.models import Flag

    pwp, _ = team
    course = ExpectedCourse.objects.create(
        service=pwp.service, version=1, method="test", percentile=0.75, min_sample=30, max_session=12, courses=90
    )
    for k, (expected, upper) in enumerate([(17, 18), (12, 13)], start=1):
        ExpectedCoursePoint.objects.create(
            course=course,
            instrument="PHQ9",
            band="moderately severe",
            session_number=k,
            n=40,
            expected=expected,
            upper=upper,
        )
    stalled = case(pwp, "Stallworth", days_open=20)
    log_session(pwp, stalled, days_ago=14, phq=17, gad=6)
    log_session(pwp, stalled, days_ago=7, phq=16, gad=6)
    sweep(referral_ids=[stalled.pk])
    login("sup1")
    page.goto(f"/supervision/cases/{stalled.pk}/review/")
    expect(page.locator("#measures-chart")).to_have_attribute("data-expected", "1")
    expect(page.locator("#not-on-track-decision")).to_be_visible()
    page.get_by_label("Continue", exact=True).check()
    page.get_by_label("Address an obstacle to progress").check()
    page.get_by_label("Obstacle to address").select_option("life_events")
    page.get_by_role("button", name="Record review").press("Enter")
    expect(page.get_by_text("Review recorded.")).to_be_visible()
    review = CaseReview.objects.get(referral=stalled)
    assert (review.track_decision, review.track_obstacle) == ("address_obstacle", "life_events")
    assert not Flag.objects.filter(referral=stalled, reason="not_on_track", resolved_at__isnull=True).exists()
