"""A session POST with an Idempotency-Key: a retry creates one session and
replays the first response; the keys live in PostgreSQL under a unique
constraint, so two concurrent requests with one key still make one session."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from sessions.models import TherapySession
from tests.factories import gad7, phq9


def _body(world, **extra):
    return {
        "referral": str(world.referral.pk),
        "started_at": (timezone.now() - timedelta(days=1)).isoformat(),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "duration_minutes": 30,
        "measures": [{"instrument": "PHQ9", "items": phq9(11)}, {"instrument": "GAD7", "items": gad7(9)}],
        **extra,
    }


def test_a_retry_with_the_same_key_creates_one_session_and_replays_the_response(world):
    client = world.client("own_pwp")
    body = _body(world)
    before = TherapySession.objects.count()

    first = client.post("/api/v1/sessions/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")
    second = client.post("/api/v1/sessions/", body, format="json", HTTP_IDEMPOTENCY_KEY="retry-1")

    assert first.status_code == second.status_code == 201, second.json()
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert TherapySession.objects.count() == before + 1
    # totals, bands and caseness were computed by the server from the items
    phq = next(s for s in first.json()["scores"] if s["instrument"] == "PHQ9")
    assert phq["total"] == "11.00" and phq["band"] and phq["caseness"] is True


def test_without_a_key_each_post_of_a_new_contact_is_a_new_session(world):
    client = world.client("own_pwp")
    before = TherapySession.objects.count()
    client.post("/api/v1/sessions/", _body(world), format="json")
    client.post("/api/v1/sessions/", _body(world, appointment_type="05"), format="json")
    assert TherapySession.objects.count() == before + 2


def test_without_a_key_the_same_contact_twice_is_refused_with_a_clear_message(world):
    # issue 14 item 1: the API without an Idempotency-Key recorded two identical contacts
    client = world.client("own_pwp")
    before = TherapySession.objects.count()
    body = _body(world)
    first = client.post("/api/v1/sessions/", body, format="json")
    second = client.post("/api/v1/sessions/", body, format="json")
    assert first.status_code == 201
    assert second.status_code == 400
    assert "already recorded" in second.json()["started_at"][0]
    assert TherapySession.objects.count() == before + 1


@pytest.mark.django_db(transaction=True)
def test_three_identical_posts_at_once_without_a_key_record_one_contact(world):
    clients = [world.client("own_pwp") for _ in range(3)]
    body = _body(world)
    before = TherapySession.objects.count()
    barrier = threading.Barrier(3)
    responses = []

    def send(client):
        barrier.wait()
        try:
            responses.append(client.post("/api/v1/sessions/", body, format="json"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in responses) == [201, 400, 400]
    assert TherapySession.objects.count() == before + 1


def test_a_key_reused_for_a_different_session_is_refused(world):
    client = world.client("own_pwp")
    client.post("/api/v1/sessions/", _body(world), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    other = _body(world, started_at=(timezone.now() - timedelta(days=3)).isoformat())
    response = client.post("/api/v1/sessions/", other, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()


def test_keys_belong_to_their_user(world):
    # the supervisor covering the case may use the same key string for their own session
    world.client("own_pwp").post("/api/v1/sessions/", _body(world), format="json", HTTP_IDEMPOTENCY_KEY="same")
    response = world.client("own_supervisor").post(
        "/api/v1/sessions/", _body(world), format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_session(world):
    # given two clients sending the same request with the same key at the same moment
    clients = [world.client("own_pwp"), world.client("own_pwp")]
    body = _body(world)
    barrier = threading.Barrier(2)
    responses = []

    def send(client):
        barrier.wait()
        try:
            responses.append(client.post("/api/v1/sessions/", body, format="json", HTTP_IDEMPOTENCY_KEY="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then both answer 201 with the same session, and only one exists
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json()["id"] == responses[1].json()["id"]
    assert TherapySession.objects.filter(idempotency_key="race").count() == 1
