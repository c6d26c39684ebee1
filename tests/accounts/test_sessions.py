"""Idle timeout with re-authentication; logout and password change end the other sessions."""

from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from tests.factories import UserFactory


def test_an_idle_session_ends_and_the_user_logs_in_again(client, db, settings):
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("sessions:caseload")).status_code == 200
    # given the last request was 16 minutes ago
    session = client.session
    session["last_activity"] -= 16 * 60
    session.save()
    # when the user comes back
    response = client.get(reverse("sessions:caseload"))
    # then they are sent to log in, back to the page they wanted, and the session is gone
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('sessions:caseload')}"
    assert not Session.objects.filter(session_key=session.session_key).exists()
    assert client.get(reverse("sessions:caseload")).status_code == 302
    # and logging in again works
    response = client.post(reverse("login"), {"username": user.username, "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("sessions:caseload")).status_code == 200


def test_activity_within_the_timeout_keeps_the_session(client, db, settings):
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    client.force_login(UserFactory())
    session = client.session
    session["last_activity"] -= 14 * 60
    session.save()
    assert client.get(reverse("sessions:caseload")).status_code == 200
    # the request moved the idle clock on
    assert client.session["last_activity"] > session["last_activity"]


def test_log_out_ends_the_users_other_sessions(db):
    user, other_user = UserFactory(), UserFactory()
    laptop, phone, colleague = Client(), Client(), Client()
    for c, u in ((laptop, user), (phone, user), (colleague, other_user)):
        c.force_login(u)
    assert UserSession.objects.filter(user=user).count() == 2
    # when the user logs out on the laptop
    laptop.post(reverse("logout"))
    # then the phone's session is over too, and the colleague's is not touched
    assert phone.get(reverse("sessions:caseload")).status_code == 302
    assert not Session.objects.filter(session_key=phone.session.session_key).exists()
    assert not UserSession.objects.filter(user=user).exists()
    assert colleague.get(reverse("sessions:caseload")).status_code == 200


def test_password_change_keeps_this_session_and_ends_the_others(db):
    user = UserFactory()
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    phone_key = phone.session.session_key
    response = laptop.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "a-much-longer-new-passphrase-42",
            "new_password2": "a-much-longer-new-passphrase-42",
        },
    )
    assert response.status_code == 302
    assert laptop.get(reverse("sessions:caseload")).status_code == 200
    # the other session is deleted outright, not merely invalid on its next request
    assert not Session.objects.filter(session_key=phone_key).exists()
    assert phone.get(reverse("sessions:caseload")).status_code == 302
    assert list(UserSession.objects.filter(user=user).values_list("session_id", flat=True)) == [
        laptop.session.session_key
    ]


def test_a_wrong_old_password_changes_nothing(db):
    user = UserFactory()
    laptop, phone = Client(), Client()
    laptop.force_login(user)
    phone.force_login(user)
    response = laptop.post(
        reverse("password_change"),
        {"old_password": "wrong", "new_password1": "a-much-longer-pass-42", "new_password2": "a-much-longer-pass-42"},
    )
    assert response.status_code == 200 and response.context["form"].errors
    assert phone.get(reverse("sessions:caseload")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("correct-horse-battery")


def test_pages_of_a_logged_in_user_are_never_stored(client, db):
    client.force_login(UserFactory())
    response = client.get(reverse("sessions:caseload"))
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_the_activity_ping_restarts_the_idle_clock(client, db, settings):
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    client.force_login(UserFactory())
    session = client.session
    session["last_activity"] -= 14 * 60  # typing a long note for 14 minutes
    session.save()
    assert client.get(reverse("alive")).status_code == 204
    assert client.session["last_activity"] > session["last_activity"] + 13 * 60


def test_the_activity_ping_does_not_revive_an_idle_session(client, db, settings):
    settings.SESSION_IDLE_TIMEOUT = 15 * 60
    client.force_login(UserFactory())
    session = client.session
    session["last_activity"] -= 16 * 60
    session.save()
    assert client.get(reverse("alive")).status_code == 302
    assert client.get(reverse("sessions:caseload")).status_code == 302
