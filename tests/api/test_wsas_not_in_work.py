"""Issue 14 item 9: WSAS item 1 (work) "not applicable: not in work": the total
is scored over items 2-5, out of 32, and marked so; the item answers stay
stored (DOMAIN.md "Measures"). The pure rule exhaustively, then the form, the
API and the stored row."""

import itertools
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sessions import measures
from sessions.measures import NOT_IN_WORK
from sessions.models import MeasureScore

ANSWERS = range(0, 9)


def test_every_answer_pattern_of_the_other_four_items_is_scored_out_of_32():
    # all 9^4 = 6,561 patterns of items 2-5
    for rest in itertools.product(ANSWERS, repeat=4):
        result = measures.score("WSAS", [NOT_IN_WORK, *rest])
        assert result.complete and result.not_in_work
        assert result.total == sum(rest) and result.out_of == 32
        assert result.band is None  # the bands are defined on the total out of 40


@given(st.lists(st.one_of(st.none(), st.integers(0, 8)), min_size=4, max_size=4))
def test_a_missing_item_among_the_other_four_leaves_it_incomplete_with_no_total(rest):
    result = measures.score("WSAS", [NOT_IN_WORK, *rest])
    assert result.complete == (None not in rest)
    assert (result.total is None) == (None in rest)


def test_with_item_1_answered_it_is_out_of_40_as_before():
    result = measures.score("WSAS", [3, 2, 2, 1, 0])
    assert result.total == 8 and result.out_of == 40 and not result.not_in_work and result.band == "subclinical"
    assert measures.score("WSAS", [None, 2, 2, 1, 0]).complete is False  # blank is still incomplete


@pytest.mark.parametrize(
    "code,items",
    [
        ("WSAS", [1, NOT_IN_WORK, 2, 2, 2]),  # only item 1 is about work
        ("PHQ9", [NOT_IN_WORK, 0, 0, 0, 0, 0, 0, 0, 0]),
        ("GAD7", [NOT_IN_WORK, 0, 0, 0, 0, 0, 0]),
    ],
)
def test_not_in_work_anywhere_else_is_refused(code, items):
    with pytest.raises(ValueError, match="not in work"):
        measures.score(code, items)


def test_stored_items_keep_the_answers_with_item_1_null():
    assert measures.stored_items([NOT_IN_WORK, 1, 2, 3, 4]) == [None, 1, 2, 3, 4]


def _session_form(**extra):
    data = {
        "started_at": (timezone.localtime() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
    }
    data.update(extra)
    return data


def test_the_session_form_offers_and_stores_not_in_work(client, world):
    client.force_login(world.users["own_pwp"])
    url = reverse("sessions:session_create", args=[world.referral.pk])
    page = client.get(url).content.decode()
    assert "Not applicable: not in work" in page
    response = client.post(url, _session_form(WSAS_1=NOT_IN_WORK, WSAS_2="4", WSAS_3="3", WSAS_4="2", WSAS_5="1"))
    assert response.status_code == 302
    stored = MeasureScore.objects.get(instrument="WSAS")
    assert stored.items == [None, 4, 3, 2, 1]
    assert stored.complete and stored.not_in_work and stored.total == 10 and stored.out_of == 32
    record = client.get(response["Location"]).content.decode()
    assert "of 32 (not in work)" in record


def test_the_api_takes_not_in_work_and_says_out_of_32(world):
    body = {
        "referral": str(world.referral.pk),
        "started_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "measures": [{"instrument": "WSAS", "items": [None, 8, 8, 8, 8], "not_in_work": True}],
    }
    response = world.client("own_pwp").post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 201, response.json()
    wsas = response.json()["scores"][0]
    assert wsas["total"] == "32.00" and wsas["out_of"] == 32 and wsas["not_in_work"] is True
    assert wsas["items"] == [None, 8, 8, 8, 8]


@pytest.mark.parametrize(
    "measure",
    [
        {"instrument": "PHQ9", "items": [None, 0, 0, 0, 0, 0, 0, 0, 0], "not_in_work": True},
        {"instrument": "WSAS", "items": [3, 1, 1, 1, 1], "not_in_work": True},
    ],
)
def test_the_api_refuses_not_in_work_where_it_does_not_apply(world, measure):
    body = {
        "referral": str(world.referral.pk),
        "started_at": (timezone.now() - timedelta(days=2)).isoformat(),
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
        "measures": [measure],
    }
    response = world.client("own_pwp").post("/api/v1/sessions/", body, format="json")
    assert response.status_code == 400
