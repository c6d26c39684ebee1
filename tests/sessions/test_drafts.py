"""Server-side drafts of the session form (issue 15, item 3) and the form's
"nothing silent" rules (item 4) and field errors (item 5)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.middleware import IdleTimeoutMiddleware
from accounts.models import AccessAction, AccessLog, Role
from sessions import drafts as purge
from sessions.models import SessionDraft, TherapySession
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp, problem_descriptor="F32")
    return pwp, referral


def draft_url(referral, kind="session"):
    return reverse("sessions:draft_save", kwargs={"referral_id": referral.pk, "kind": kind})


def session_data(**overrides):
    data = {
        "started_at": (timezone.localtime() - timedelta(hours=1)).strftime("%d/%m/%Y %H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "notes": "Typed and not yet saved",
        **{f"PHQ9_{i}": "1" for i in range(1, 9)},
        "PHQ9_9": "0",
        **{f"GAD7_{i}": "1" for i in range(1, 8)},
    }
    data.update(overrides)
    return data


def test_a_draft_is_kept_restored_with_its_time_and_removed_by_the_save(client, case):
    pwp, referral = case
    client.force_login(pwp)
    response = client.post(draft_url(referral), session_data(csrfmiddlewaretoken="x", bogus="y"))
    assert response.status_code == 200 and "kept_at" in response.json()
    draft = SessionDraft.objects.get()
    assert draft.data["notes"] == ["Typed and not yet saved"]
    assert "csrfmiddlewaretoken" not in draft.data and "bogus" not in draft.data
    assert not TherapySession.objects.exists()  # a draft saves no session
    assert AccessLog.objects.filter(action=AccessAction.CREATE, object_type="sessiondraft").count() == 1

    page = client.get(reverse("sessions:session_create", args=[referral.pk]))
    assert b"Restored your unsaved draft, kept at" in page.content
    assert page.context["form"]["notes"].value() == "Typed and not yet saved"
    assert AccessLog.objects.filter(action=AccessAction.VIEW, object_type="sessiondraft").count() == 1

    response = client.post(reverse("sessions:session_create", args=[referral.pk]), session_data())
    assert response.status_code == 302
    assert not SessionDraft.objects.exists()
    assert AccessLog.objects.filter(action=AccessAction.DELETE, object_type="sessiondraft").count() == 1


def test_a_draft_from_a_page_whose_session_was_saved_is_not_kept(client, case):
    pwp, referral = case
    client.force_login(pwp)
    opened = timezone.now().isoformat()
    client.post(reverse("sessions:session_create", args=[referral.pk]), session_data())
    response = client.post(draft_url(referral), session_data(_opened_at=opened))
    assert response.status_code == 409
    assert not SessionDraft.objects.exists()


def test_drafts_follow_the_record_access_rules(client, case):
    pwp, referral = case
    other = UserFactory(role=Role.PWP, service=pwp.service)
    admin = UserFactory(role=Role.REFERRAL_ADMIN, service=pwp.service)
    for user in (other, admin):
        client.force_login(user)
        assert client.post(draft_url(referral), session_data()).status_code == 404
    client.force_login(pwp)
    assert client.post(f"/referrals/{referral.pk}/drafts/nonsense/", session_data()).status_code == 404
    assert client.get(draft_url(referral)).status_code == 405
    assert not SessionDraft.objects.exists()


def test_a_draft_is_only_its_authors(client, case):
    pwp, referral = case
    client.force_login(pwp)
    client.post(draft_url(referral), session_data())
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    client.force_login(supervisor)
    page = client.get(reverse("sessions:session_create", args=[referral.pk]))
    assert page.status_code == 200  # the supervisor may log a session on the case
    assert b"Typed and not yet saved" not in page.content and page.context["draft"] is None


def test_the_autosave_does_not_restart_the_idle_clock(client, case):
    pwp, referral = case
    client.force_login(pwp)
    session = client.session
    long_ago = int(timezone.now().timestamp()) - 120
    session[IdleTimeoutMiddleware.KEY] = long_ago
    session.save()
    client.post(draft_url(referral), session_data())
    assert client.session[IdleTimeoutMiddleware.KEY] == long_ago
    client.get(reverse("sessions:caseload"))  # a page the person asks for does
    assert client.session[IdleTimeoutMiddleware.KEY] > long_ago


def test_discard_removes_the_draft_and_audits_it(client, case):
    pwp, referral = case
    client.force_login(pwp)
    client.post(draft_url(referral), session_data())
    response = client.post(reverse("sessions:draft_discard", kwargs={"referral_id": referral.pk, "kind": "session"}))
    assert response.status_code == 302
    assert not SessionDraft.objects.exists()
    assert AccessLog.objects.filter(action=AccessAction.DELETE, object_type="sessiondraft").exists()


def test_old_drafts_are_purged_by_purge_records(client, case, settings):
    pwp, referral = case
    client.force_login(pwp)
    client.post(draft_url(referral), session_data())
    SessionDraft.objects.update(updated_at=timezone.now() - timedelta(days=15))
    other = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    client.post(draft_url(other), session_data())
    settings.DRAFT_RETENTION_DAYS = 14
    call_command("purge_records", "--dry-run")
    assert SessionDraft.objects.count() == 2
    call_command("purge_records")
    assert list(SessionDraft.objects.values_list("referral_id", flat=True)) == [other.pk]
    assert AccessLog.objects.filter(action="purge", object_type="session_drafts").exists()
    assert purge.drafts_due()[0].count() == 0


# ---- nothing silent (item 4) and errors where the eye is (item 5) ------------


def post(client, referral, **overrides):
    return client.post(reverse("sessions:session_create", args=[referral.pk]), session_data(**overrides))


def test_phq9_item9_unanswered_needs_item_9_not_asked(client, case):
    pwp, referral = case
    client.force_login(pwp)
    response = post(client, referral, PHQ9_9="")
    assert response.status_code == 200
    assert "item 9" in str(response.context["form"].errors["PHQ9_9"])
    assert b'href="#id_PHQ9_9_0"' in response.content  # the summary links to the item
    assert not TherapySession.objects.exists()
    assert post(client, referral, PHQ9_9="", phq9_item9_not_asked="on").status_code == 302
    score = TherapySession.objects.get().measures.get(instrument="PHQ9")
    assert not score.complete  # incomplete, never scored as 0


def test_a_missing_adsm_is_a_warning_the_pwp_confirms(client, db):
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp, problem_descriptor="F401")
    client.force_login(pwp)
    response = post(client, referral)
    assert response.status_code == 200
    assert "not collected this session" in str(response.context["form"].errors["confirm_no_adsm"])
    assert post(client, referral, confirm_no_adsm="on").status_code == 302


def test_a_dna_needs_no_measures_nor_item_9(client, case):
    pwp, referral = case
    client.force_login(pwp)
    data = {k: v for k, v in session_data(attendance="3").items() if not k.startswith(("PHQ9", "GAD7"))}
    assert client.post(reverse("sessions:session_create", args=[referral.pk]), data).status_code == 302


def test_risk_fields_each_get_their_error_beside_them(client, case):
    pwp, referral = case
    client.force_login(pwp)
    response = post(client, referral, PHQ9_9="2", risk_to_self="medium")
    form = response.context["form"]
    assert set(form.errors) >= {"risk_to_others", "risk_from_others", "level", "plan"}
    assert "risk_to_self" not in form.errors
    assert b"complete the risk assessment" in response.content
    assert b'id="error-summary"' in response.content and b'href="#id_plan"' in response.content
