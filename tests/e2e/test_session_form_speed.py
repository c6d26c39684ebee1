"""Issue 15, item 2: a routine session logged from the caseload within the
keystroke budget, and one click per item by mouse.

A routine session: PHQ-9 and GAD-7, one intervention (the last session's),
attended, by the same medium as last time, with a note. The budget is 30 key
presses beside the note's own characters; the count is every key press the
test sends (Tab, Enter, digits), counted as it sends them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from sessions.models import MeasureScore, TherapySession
from sessions.services import therapy_session_record
from tests.factories import ReferralFactory, UserFactory, gad7, phq9

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUDGET = 30
NOTE = "Reviewed the activity diary; planned three valued activities."


class Keys:
    """Sends key presses to the page and counts them."""

    def __init__(self, page):
        self.page = page
        self.count = 0

    def press(self, key: str, times: int = 1):
        for _ in range(times):
            self.page.keyboard.press(key)
            self.count += 1


@pytest.fixture
def routine_case():
    pwp = UserFactory(username="pwp1", role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        patient__given_name="Robin",
        patient__family_name="Exampleton",
        assigned_practitioner=pwp,
        problem_descriptor="F32",
        received_on=timezone.localdate() - timedelta(days=90),
    )
    # Two more cases, opened later (the caseload sorts the longest since review first).
    for name in ("Brown", "Clarke"):
        ReferralFactory(
            patient__service=pwp.service,
            patient__family_name=name,
            assigned_practitioner=pwp,
            received_on=timezone.localdate() - timedelta(days=10),
        )
    # The last session: by video, behavioural activation; WSAS and the phobia
    # scales were taken then, so today they are not due.
    therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=7),
        appointment_type="02",
        attendance="5",
        medium="11",
        interventions=["ba"],
        measure_items={"PHQ9": phq9(14), "GAD7": gad7(10), "WSAS": [3, 3, 3, 3, 3], "PHOBIA": [1, 1, 1]},
        enqueue_followup=False,
    )
    return pwp, referral


def test_a_routine_session_from_the_caseload_within_30_keystrokes(page, login, routine_case):
    pwp, referral = routine_case
    login("pwp1")
    page.goto("/caseload/")
    first_row = page.locator("#caseload-table tbody tr").first
    expect(first_row).to_contain_text("Exampleton, Robin")  # given: the case is the first row
    keys = Keys(page)

    # from the caseload to the form: the skip link to the cases, the row's "Log a session"
    keys.press("Tab", 2)
    expect(page.get_by_role("link", name="Skip to the cases")).to_be_focused()
    keys.press("Enter")
    keys.press("Tab", 2)
    expect(first_row.get_by_role("link", name="Log a session")).to_be_focused()
    keys.press("Enter")
    page.wait_for_url(f"**/referrals/{referral.pk}/sessions/new/")

    # focus starts on the first field that needs input: PHQ-9 item 1
    expect(page.locator("#id_PHQ9_1_0")).to_be_focused()
    # the measures due are PHQ-9 and GAD-7; WSAS and the phobia scales are one keystroke away
    expect(page.locator("#measure-WSAS")).to_be_hidden()
    expect(page.locator("#more-measures summary")).to_have_attribute("accesskey", "m")
    # the last session's medium and intervention are chosen already
    expect(page.get_by_label("Consultation medium")).to_have_value("11")
    expect(page.get_by_label("Behavioural activation", exact=True)).to_be_checked()

    # sixteen digits: each answers the focused item and moves to the next
    for digit in "211110100" + "1111011":
        keys.press(digit)
    expect(page.locator("#total-PHQ9")).to_contain_text("Total 7")
    expect(page.locator("#total-GAD7")).to_contain_text("Total 6")
    # after the last item, the next field that needs input: the note
    expect(page.get_by_label("Notes")).to_be_focused()
    page.keyboard.type(NOTE)  # the note's own characters are outside the budget
    keys.press("Tab", 2)
    expect(page.get_by_role("button", name="Save session")).to_be_focused()
    keys.press("Enter")
    page.wait_for_url(f"**/referrals/{referral.pk}/record/")
    expect(page.get_by_text("Session saved.")).to_be_visible()

    # then the session is the routine one, and it took at most 30 key presses
    session = TherapySession.objects.filter(referral=referral).order_by("-started_at").first()
    assert (session.attendance, session.medium, session.appointment_type) == ("5", "11", "02")
    assert session.interventions == ["ba"] and session.notes == NOTE
    assert abs(session.started_at - timezone.now()) < timedelta(minutes=5)
    totals = dict(MeasureScore.objects.filter(session=session).values_list("instrument", "total"))
    assert totals == {"PHQ9": 7, "GAD7": 6}
    print(f"\nkeystrokes beside the note: {keys.count}")
    assert keys.count <= BUDGET, keys.count


def test_one_click_per_item_by_mouse_and_the_date_in_one_stop(page, login, routine_case):
    pwp, referral = routine_case
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    # the date and time: now, one tab stop
    started = page.get_by_label("Date and time")
    assert started.input_value() == timezone.localtime().strftime("%d/%m/%Y %H:%M") or started.input_value() == (
        timezone.localtime() - timedelta(minutes=1)
    ).strftime("%d/%m/%Y %H:%M")
    started.focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Appointment type")).to_be_focused()

    clicks = 0
    for code, answers in (("PHQ9", [1, 2, 0, 0, 1, 1, 0, 0, 0]), ("GAD7", [2, 2, 1, 0, 0, 1, 0])):
        for number, value in enumerate(answers, start=1):
            page.locator(f"#id_{code}_{number}_{value}").click()
            clicks += 1
            expect(page.locator(f"#id_{code}_{number}_{value}")).to_be_checked()
    assert clicks == 16  # one per item
    expect(page.locator("#total-PHQ9")).to_contain_text("Total 5")
    expect(page.locator("#total-GAD7")).to_contain_text("Total 6")

    # the measures not due open with their access key (Alt+M in Chromium on Linux)
    page.keyboard.press("Alt+m")
    expect(page.locator("#measure-WSAS")).to_be_visible()
