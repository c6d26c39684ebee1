"""Every risk notification's email goes, exactly once (issue 23, finding 2): the
claim locks only the notification's row, so a session holding the supervisor's
user row (as any insert referencing the user does, FOR KEY SHARE) or another
claim for the same supervisor cannot make it skip the email; and what a claim
does skip is sent by the periodic sweep after a grace period."""

from datetime import timedelta

import psycopg2
import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from supervision.models import Notification
from supervision.sweep import EMAIL_GRACE, email_notifications, email_notifications_due, sweep
from supervision.tasks import email_notifications_due as email_notifications_due_task

from .conftest import RISK, log, open_case

SUBJECT = "Talking Therapies: a case needs supervision"


def own_connection():
    s = connection.settings_dict
    return psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"]
    )


def risk_notifications(pwp, n: int) -> list[Notification]:
    """n risk flags on n cases of the PWP, each notifying the supervisor, committed,
    with their emails marked unsent again (as if the sweep's commit hook never ran)."""
    for _ in range(n):
        log(pwp, open_case(pwp), days_ago=1, item9=2, risk=RISK)
    sweep()
    Notification.objects.update(emailed_at=None)
    mail.outbox.clear()
    return list(Notification.objects.order_by("id"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lock", ["FOR KEY SHARE", "FOR UPDATE"])
def test_the_email_goes_while_another_session_holds_the_supervisors_user_row(team, lock):
    # given a risk notification for the supervisor, committed
    pwp, supervisor = team
    (notification,) = risk_notifications(pwp, 1)
    blocker = own_connection()
    try:
        # and another session holding the supervisor's user row (an insert that
        # references the user takes FOR KEY SHARE on it until it commits)
        with blocker.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM accounts_user WHERE id = %s {lock}", [supervisor.pk])  # noqa: S608 - fixed clause
        # when the email is claimed and sent
        sent = email_notifications([notification.pk])
    finally:
        blocker.close()

    # then it went, once
    assert sent == 1
    assert [m.subject for m in mail.outbox] == [SUBJECT]
    assert mail.outbox[0].to == [supervisor.email]
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    # and a second claim (a redelivered task) sends nothing
    assert email_notifications([notification.pk]) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_in_progress_elsewhere_does_not_stop_the_same_supervisors_other_emails(team):
    # given two risk notifications for one supervisor, and another process midway
    # through sending the first (its row claimed, not yet committed)
    pwp, supervisor = team
    first, second = risk_notifications(pwp, 2)
    other = own_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT n.id FROM supervision_notification n JOIN accounts_user u ON u.id = n.user_id"
                " WHERE n.id = %s AND n.emailed_at IS NULL FOR UPDATE OF n SKIP LOCKED",
                [first.pk],
            )
            assert cursor.fetchall() == [(first.pk,)]
        # when this process sends both
        sent = email_notifications([first.pk, second.pk])
        # then it sent the second, and left the first to the process that holds it
        assert sent == 1
        assert Notification.objects.get(pk=second.pk).emailed_at is not None
        assert Notification.objects.get(pk=first.pk).emailed_at is None
    finally:
        other.close()  # that process dies without sending: its claim rolls back

    # when the periodic sweep runs: within the grace period it leaves the email to its claimant
    assert email_notifications_due() == 0
    # and after it, the email goes, once
    later = timezone.now() + EMAIL_GRACE + timedelta(seconds=1)
    assert email_notifications_due(now=later) == 1
    assert email_notifications_due(now=later) == 0
    assert sorted(m.to[0] for m in mail.outbox) == [supervisor.email, supervisor.email]
    assert not Notification.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_an_email_that_failed_to_send_is_sent_by_the_sweep(team, settings):
    # given a notification whose email the SMTP server refused (nothing listens on the port)
    pwp, supervisor = team
    (notification,) = risk_notifications(pwp, 1)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    assert email_notifications([notification.pk]) == 0
    assert Notification.objects.get(pk=notification.pk).emailed_at is None

    # when the server is back and beat's task runs after the grace period
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    Notification.objects.update(created_at=timezone.now() - EMAIL_GRACE - timedelta(seconds=1))
    assert email_notifications_due_task() == 1

    # then the email went, once
    assert [m.to for m in mail.outbox] == [[supervisor.email]]
    assert email_notifications_due_task() == 0


def test_the_email_sweep_is_on_beats_schedule(settings):
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["supervision.email_notifications_due"] <= 60
