"""Issue 15, item 3: no typed word lost. The session form keeps a server-side
draft while the practitioner types; the draft survives an idle log-out, a
network cut at Save and a closed tab, says when it was kept, and goes when
the session is saved."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Role
from sessions.models import SessionDraft, TherapySession
from tests.factories import ReferralFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = "Long telephone session: scored at the start, notes written at the end."


@pytest.fixture
def case():
    pwp = UserFactory(username="pwp1", role=Role.PWP)
    referral = ReferralFactory(
        patient__service=pwp.service,
        assigned_practitioner=pwp,
        problem_descriptor="F32",
        received_on=timezone.localdate() - timedelta(days=30),
    )
    return pwp, referral


def type_session(page):
    page.locator("#id_PHQ9_1_0").focus()
    for digit in "212121210" + "1212121":
        page.keyboard.press(digit)
    page.get_by_label("Notes").fill(NOTE)


def expect_restored(page):
    expect(page.locator("#draft-restored")).to_contain_text("Restored your unsaved draft, kept at")
    expect(page.get_by_label("Notes")).to_have_value(NOTE)
    expect(page.locator("#id_PHQ9_2_1")).to_be_checked()
    expect(page.locator("#id_GAD7_7_1")).to_be_checked()
    expect(page.locator("#total-PHQ9")).to_contain_text("Total 12")


def save_and_check_draft_gone(page, referral):
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_text("Session saved.")).to_be_visible()
    assert TherapySession.objects.filter(referral=referral, notes=NOTE).count() == 1
    assert not SessionDraft.objects.exists()


def test_the_draft_survives_an_idle_log_out(page, login, case, settings):
    settings.SESSION_IDLE_TIMEOUT = 8
    pwp, referral = case
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    type_session(page)
    expect(page.locator("#draft-status")).to_contain_text("Draft kept at")
    # the autosave did not keep the idle session alive: after the timeout, Save logs out
    page.wait_for_timeout(9000)
    page.get_by_role("button", name="Save session").click()
    expect(page.get_by_label("Username")).to_be_visible()
    assert not TherapySession.objects.filter(referral=referral, notes=NOTE).exists()
    settings.SESSION_IDLE_TIMEOUT = 900
    page.get_by_label("Username").fill("pwp1")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    # logging in again goes back to the form, with the draft
    expect_restored(page)
    save_and_check_draft_gone(page, referral)


def test_the_draft_survives_a_network_cut_at_save(page, login, case):
    pwp, referral = case
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    type_session(page)
    expect(page.locator("#draft-status")).to_contain_text("Draft kept at")
    page.context.set_offline(True)
    page.get_by_role("button", name="Save session").click()
    page.wait_for_timeout(500)
    assert not TherapySession.objects.filter(referral=referral, notes=NOTE).exists()
    page.context.set_offline(False)
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    expect_restored(page)
    save_and_check_draft_gone(page, referral)


def test_the_draft_survives_a_closed_tab_and_can_be_discarded(page, login, case):
    pwp, referral = case
    login("pwp1")
    page.goto(f"/referrals/{referral.pk}/sessions/new/")
    type_session(page)
    # closed straight away: the page-hide save (fetch keepalive), or the last autosave, keeps it
    page.close(run_before_unload=True)
    second = page.context.new_page()
    second.wait_for_timeout(500)
    second.goto(f"/referrals/{referral.pk}/sessions/new/")
    expect_restored(second)
    second.get_by_role("button", name="Discard the draft").click()
    expect(second.get_by_text("Draft discarded.")).to_be_visible()
    expect(second.get_by_label("Notes")).to_have_value("")
    assert not SessionDraft.objects.exists()
