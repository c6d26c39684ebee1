"""A service manager sees who read a given record; the read of the access log is audited too."""

import pytest
from django.urls import reverse

from accounts.audit import audit_record
from accounts.models import AccessLog, Role
from tests.factories import ReferralFactory, ServiceFactory, UserFactory


@pytest.fixture
def record(db):
    service = ServiceFactory()
    pwp = UserFactory(service=service, role=Role.PWP, username="reader-pwp")
    referral = ReferralFactory(patient__service=service, assigned_practitioner=pwp)
    manager = UserFactory(service=service, role=Role.SERVICE_MANAGER, username="the-manager")
    return referral, pwp, manager


def test_manager_sees_who_read_the_record(client, record):
    referral, pwp, manager = record
    # given the PWP opened the record and a manager listed it
    client.force_login(pwp)
    assert client.get(reverse("patients:detail", args=[referral.patient_id])).status_code == 200
    client.force_login(manager)
    client.get(reverse("patients:referral_list"))
    other = ReferralFactory(patient__service=manager.service)
    audit_record(user=pwp, action="view", object_type="patient", patient_id=other.patient_id)
    # when the manager opens the access log of the record
    response = client.get(reverse("record_access", args=[referral.patient_id]))
    # then both reads are shown, the other patient's is not, and this read is audited (and listed)
    assert response.status_code == 200
    entries = list(response.context["page"].object_list)
    assert {(e.username, e.action, e.object_type) for e in entries} == {
        ("reader-pwp", "view", "patient"),
        ("the-manager", "list", "referral"),
        ("the-manager", "view", "access_log"),
    }
    assert all(e.patient_id in (referral.patient_id, None) for e in entries)
    assert "reader-pwp" in response.content.decode()
    audit = AccessLog.objects.get(object_type="access_log")
    assert audit.user == manager and audit.patient_id == referral.patient_id and audit.action == "view"


@pytest.mark.parametrize("role", [Role.PWP, Role.SUPERVISOR, Role.REFERRAL_ADMIN, Role.SYSTEM_ADMIN])
def test_other_roles_get_404(client, record, role):
    referral, _, manager = record
    client.force_login(UserFactory(service=manager.service, role=role))
    assert client.get(reverse("record_access", args=[referral.patient_id])).status_code == 404
    assert not AccessLog.objects.filter(object_type="access_log").exists()


def test_a_manager_of_another_service_gets_404(client, record):
    referral, _, _ = record
    client.force_login(UserFactory(role=Role.SERVICE_MANAGER))
    assert client.get(reverse("record_access", args=[referral.patient_id])).status_code == 404


def test_the_link_shows_on_the_record_for_managers_only(client, record):
    referral, pwp, manager = record
    url = reverse("record_access", args=[referral.patient_id])
    client.force_login(manager)
    assert url in client.get(reverse("patients:detail", args=[referral.patient_id])).content.decode()
    client.force_login(pwp)
    assert url not in client.get(reverse("patients:detail", args=[referral.patient_id])).content.decode()


@pytest.mark.parametrize("reads", [3, 60])
def test_access_log_query_budget_does_not_grow(client, record, django_assert_max_num_queries, reads):
    referral, pwp, manager = record
    for _ in range(reads):
        audit_record(user=pwp, action="view", object_type="patient", patient_id=referral.patient_id)
    client.force_login(manager)
    # session + user, the relationship check, the audit insert, the paginator
    # count and the page of entries (no joins: who is copied onto each entry),
    # and savepoints: a fixed budget whatever the number of reads.
    with django_assert_max_num_queries(8):
        response = client.get(reverse("record_access", args=[referral.patient_id]))
    # the reads, and this read of the access log itself
    assert len(response.context["page"].object_list) == reads + 1
