"""Lists: filters (validated: a bad value is a 400), ordering and pagination."""

from datetime import timedelta

from django.utils import timezone

from tests.factories import ReferralFactory


def test_referral_filters_ordering_and_pages(world):
    pwp = world.users["own_pwp"]
    today = timezone.localdate()
    for days in (10, 20, 30):
        ReferralFactory(
            patient__service=world.service,
            assigned_practitioner=pwp,
            received_on=today - timedelta(days=days),
            problem_descriptor="F411",
        )
    client = world.client("own_pwp")

    gad = client.get("/api/v1/referrals/", {"problem_descriptor": "F411", "ordering": "received_on"}).json()
    assert gad["count"] == 3
    assert [r["received_on"] for r in gad["results"]] == sorted(r["received_on"] for r in gad["results"])

    recent = client.get("/api/v1/referrals/", {"received_from": (today - timedelta(days=15)).isoformat()}).json()
    assert recent["count"] == 1

    first_page = client.get("/api/v1/referrals/", {"page_size": 2}).json()
    assert first_page["count"] == 4 and len(first_page["results"]) == 2 and first_page["next"]

    second_page = client.get("/api/v1/referrals/", {"page_size": 2, "page": 2}).json()
    assert len(second_page["results"]) == 2 and second_page["previous"]

    for bad in (
        {"status": "nonsense"},
        {"step": "7"},
        {"page_size": "0"},
        {"page_size": ["2", "3"]},
        {"page": ""},
        {"page": ["1", "2"]},
        {"page": "-1"},
        {"received_from": "yesterday"},
    ):
        response = client.get("/api/v1/referrals/", bad)
        assert response.status_code == 400, bad
        assert set(bad) <= set(response.json())


def test_sessions_filter_by_referral(world):
    client = world.client("manager")
    rows = client.get("/api/v1/sessions/", {"referral": str(world.referral.pk)}).json()["results"]
    assert [r["id"] for r in rows] == [world.session.pk]
    assert client.get("/api/v1/sessions/", {"referral": str(world.other_referral.pk)}).json()["count"] == 0
