"""A positive risk answer reaches the service's duty worker (issue 20; DOMAIN.md
"Patients taking part"): one rule for the self-referral form and the
questionnaires (supervision/duty.py). The duty worker when one is set; the
supervisors where none is (or the one set has left); the email goes at once,
through a real SMTP server, with no patient detail; the duty worker, whatever
their role, can open the incoming self-referrals."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from outbox.models import OutboxMessage
from selfreferral.models import SelfReferral
from supervision.duty import duty_clinician_ids, is_duty_worker
from supervision.models import DutyWorker, Notification, NotificationKind
from supervision.tasks import email_notifications
from tests.factories import ReferralFactory, ServiceFactory, UserFactory

from .conftest import walk

pytestmark = pytest.mark.django_db


def refer_with_a_risk_answer(client):
    walk(client, overrides={"risk": {"thoughts": "yes"}})
    client.post(reverse("selfreferral:check"), {"email_confirm": ""})
    return SelfReferral.objects.get()


def test_the_duty_worker_when_set_else_the_supervisors(service):
    first, second = (UserFactory(role=Role.SUPERVISOR, service=service) for _ in range(2))
    UserFactory(role=Role.SUPERVISOR, service=ServiceFactory())  # another service's
    assert duty_clinician_ids(service.pk) == sorted([first.pk, second.pk])
    duty = UserFactory(role=Role.PWP, service=service)
    DutyWorker.objects.create(service=service, user=duty)
    assert duty_clinician_ids(service.pk) == [duty.pk]
    # a duty worker who has left is nobody's duty worker: the supervisors again
    duty.is_active = False
    duty.save()
    assert duty_clinician_ids(service.pk) == sorted([first.pk, second.pk])


def test_with_no_supervisor_the_service_managers_are_told(service):
    manager = UserFactory(role=Role.SERVICE_MANAGER, service=service)
    assert duty_clinician_ids(service.pk) == [manager.pk]


def test_a_duty_worker_no_longer_a_clinician_is_no_duty_worker(client, service):
    supervisor = UserFactory(role=Role.SUPERVISOR, service=service)
    duty = UserFactory(role=Role.PWP, service=service)
    DutyWorker.objects.create(service=service, user=duty)
    row = refer_with_a_risk_answer(client)
    assert is_duty_worker(duty)
    # when their role changes to one that is not clinical
    duty.role = Role.SYSTEM_ADMIN
    duty.save()
    # then the alerts go to the supervisors, and the self-referrals are closed to them
    assert not is_duty_worker(duty) and duty_clinician_ids(service.pk) == [supervisor.pk]
    client.force_login(duty)
    assert client.get(reverse("selfreferral_staff:incoming")).status_code == 404
    assert client.get(reverse("selfreferral_staff:detail", args=[row.pk])).status_code == 404


def test_the_duty_worker_is_not_shown_matches_with_existing_patients(client, service):
    duty = UserFactory(role=Role.PWP, service=service)
    DutyWorker.objects.create(service=service, user=duty)
    existing = ReferralFactory(
        patient__service=service, patient__given_name="Robin", patient__family_name="O’Selfton"
    ).patient
    existing.date_of_birth, existing.postcode = date(1984, 3, 15), "LS1 4AP"
    existing.save()
    row = refer_with_a_risk_answer(client)
    admin = UserFactory(role=Role.REFERRAL_ADMIN, service=service)
    client.force_login(admin)
    assert existing.family_name in client.get(reverse("selfreferral_staff:detail", args=[row.pk])).content.decode()
    client.force_login(duty)
    listed = client.get(reverse("selfreferral_staff:incoming")).content.decode()
    opened = client.get(reverse("selfreferral_staff:detail", args=[row.pk])).content.decode()
    assert row.reference in listed and "Shown to administrators" in listed
    assert "shown to administrators and supervisors" in opened
    for page in (listed, opened):
        assert str(existing.pk) not in page  # no link to the existing patient's record


def test_the_duty_worker_is_an_active_clinician_of_the_service(service):
    for user in (
        UserFactory(role=Role.REFERRAL_ADMIN, service=service),
        UserFactory(role=Role.PWP, service=ServiceFactory()),
    ):
        with pytest.raises(ValidationError, match="active clinician of this service"):
            DutyWorker(service=service, user=user).full_clean()
    DutyWorker(service=service, user=UserFactory(role=Role.HIT, service=service)).full_clean()


def send_queued_emails() -> None:
    """What the worker does with the outbox's email messages (ids only)."""
    for message in OutboxMessage.objects.filter(task="supervision.email_notifications"):
        email_notifications(*message.args)


def test_an_urgent_self_referral_is_emailed_to_the_duty_worker_at_once(client, service, smtp_server):
    # given a service with supervisors and a PWP on duty
    UserFactory(role=Role.SUPERVISOR, service=service, email="supervisor@example.invalid")
    duty = UserFactory(role=Role.PWP, service=service, email="duty@example.invalid")
    DutyWorker.objects.create(service=service, user=duty)
    # when a person answers a risk question yes and sends the form
    row = refer_with_a_risk_answer(client)
    # then the duty worker, and only they, are told in the app, and the email is queued
    # in the same transaction, the notification's id its only argument
    [notice] = Notification.objects.all()
    assert notice.user == duty and notice.kind == NotificationKind.URGENT_SELF_REFERRAL
    [queued] = OutboxMessage.objects.filter(task="supervision.email_notifications")
    assert queued.args == [str(notice.pk)]  # one id: the comma-joined list of one
    # and the worker sends it, once
    send_queued_emails()
    send_queued_emails()
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    [envelope] = smtp_server.envelopes
    assert envelope.rcpt_tos == ["duty@example.invalid"]
    email = envelope.content.decode()
    assert "Subject: Talking Therapies: an urgent self-referral is waiting" in email
    # no detail of the person, not even the reference, leaves in the email
    assert row.reference not in email and "Selfton" not in email and "Robin" not in email
    # and the duty worker, a PWP, follows the link to the incoming self-referrals and opens it
    client.force_login(duty)
    opened = client.get(reverse("supervision:notification_open", args=[notice.pk]))
    assert opened.url == reverse("selfreferral_staff:incoming")
    assert row.reference in client.get(opened.url).content.decode()
    assert client.get(reverse("selfreferral_staff:detail", args=[row.pk])).status_code == 200


def test_a_pwp_not_on_duty_cannot_read_the_self_referrals(client, service):
    row = refer_with_a_risk_answer(client)
    client.force_login(UserFactory(role=Role.PWP, service=service))
    assert client.get(reverse("selfreferral_staff:incoming")).status_code == 404
    assert client.get(reverse("selfreferral_staff:detail", args=[row.pk])).status_code == 404
