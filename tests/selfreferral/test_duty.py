"""A positive risk answer reaches the service's duty worker (issue 20; DOMAIN.md
"Patients taking part"): one rule for the self-referral form and the
questionnaires (supervision/duty.py). The duty worker when one is set; the
supervisors where none is (or the one set has left); the email goes at once,
through a real SMTP server, with no patient detail; the duty worker, whatever
their role, can open the incoming self-referrals."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from selfreferral.models import SelfReferral
from supervision.duty import duty_clinician_ids
from supervision.models import DutyWorker, Notification, NotificationKind
from tests.factories import ServiceFactory, UserFactory

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


def test_the_duty_worker_is_an_active_clinician_of_the_service(service):
    for user in (
        UserFactory(role=Role.REFERRAL_ADMIN, service=service),
        UserFactory(role=Role.PWP, service=ServiceFactory()),
    ):
        with pytest.raises(ValidationError, match="active clinician of this service"):
            DutyWorker(service=service, user=user).full_clean()
    DutyWorker(service=service, user=UserFactory(role=Role.HIT, service=service)).full_clean()


def test_an_urgent_self_referral_is_emailed_to_the_duty_worker_at_once(
    client, service, smtp_server, django_capture_on_commit_callbacks
):
    # given a service with supervisors and a PWP on duty
    UserFactory(role=Role.SUPERVISOR, service=service, email="supervisor@example.invalid")
    duty = UserFactory(role=Role.PWP, service=service, email="duty@example.invalid")
    DutyWorker.objects.create(service=service, user=duty)
    # when a person answers a risk question yes and sends the form
    with django_capture_on_commit_callbacks(execute=True):
        row = refer_with_a_risk_answer(client)
    # then the duty worker, and only they, are told, in the app and by email as the submit commits
    [notice] = Notification.objects.all()
    assert notice.user == duty and notice.kind == NotificationKind.URGENT_SELF_REFERRAL and notice.emailed_at
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
