"""Request ids in the audit log are the server's (issue 13, finding 8): a client
cannot choose the id its reads are filed under; its own id is kept apart."""

import re

import pytest
from django.urls import reverse

from accounts.models import AccessLog, Role
from tests.factories import ReferralFactory, UserFactory


@pytest.fixture
def manager_client(client, db):
    referral = ReferralFactory()
    client.force_login(UserFactory(service=referral.service, role=Role.SERVICE_MANAGER))
    return client, referral


def test_a_client_chosen_request_id_is_not_written_as_the_request_id(manager_client):
    client, referral = manager_client
    url = reverse("patients:detail", args=[referral.patient_id])
    # given two requests that both claim the same id
    first = client.get(url, HTTP_X_REQUEST_ID="reused-id-0001")
    second = client.get(url, HTTP_X_REQUEST_ID="reused-id-0001")
    # then each was filed under its own server-generated id, and the claim is kept apart
    entries = list(AccessLog.objects.filter(object_type="patient", action="view").order_by("id"))
    assert [e.request_id for e in entries] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert entries[0].request_id != entries[1].request_id
    assert all(re.fullmatch(r"[0-9a-f]{32}", e.request_id) for e in entries)
    assert {e.client_request_id for e in entries} == {"reused-id-0001"}


def test_a_malformed_client_id_is_dropped(manager_client):
    client, referral = manager_client
    response = client.get(
        reverse("patients:detail", args=[referral.patient_id]), HTTP_X_REQUEST_ID="<script>alert(1)</script>"
    )
    entry = AccessLog.objects.get(object_type="patient", action="view")
    assert entry.client_request_id == "" and entry.request_id == response["X-Request-ID"]
    assert "script" not in response["X-Request-ID"]
