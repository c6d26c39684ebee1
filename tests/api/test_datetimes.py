"""Issue 14 item 6: one parser for the web form and the API; a local time that
a clock change skips or repeats is refused with a message that says so, and
the API refuses a time with no offset."""

import importlib
import inspect
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from core import datetimes
from core.fields import OffsetDateTimeField
from sessions.models import TherapySession

LONDON = ZoneInfo("Europe/London")


def _minutes(day: str):
    start = datetime.fromisoformat(day)
    return [start + timedelta(minutes=m) for m in range(0, 4 * 60, 5)]


@pytest.mark.parametrize("wall", _minutes("2026-03-29T00:00"), ids=str)
def test_spring_forward_every_five_minutes(wall):
    if wall.hour == 1:  # 01:00-01:59 is skipped
        with pytest.raises(datetimes.DateTimeInputError, match="does not exist"):
            datetimes.parse(wall.isoformat(), require_offset=False)
    else:
        parsed = datetimes.parse(wall.isoformat(), require_offset=False)
        assert parsed.astimezone(LONDON).replace(tzinfo=None) == wall


@pytest.mark.parametrize("wall", _minutes("2026-10-25T00:00"), ids=str)
def test_fall_back_every_five_minutes(wall):
    if wall.hour == 1:  # 01:00-01:59 happens twice
        with pytest.raises(datetimes.DateTimeInputError, match="happens twice"):
            datetimes.parse(wall.isoformat(), require_offset=False)
    else:
        parsed = datetimes.parse(wall.isoformat(), require_offset=False)
        assert parsed.astimezone(LONDON).replace(tzinfo=None) == wall


def test_an_offset_makes_any_instant_exact_and_is_required_by_the_api():
    assert datetimes.parse("2026-10-25T01:30:00+01:00", require_offset=True) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    assert datetimes.parse("2026-10-25T01:30:00Z", require_offset=True) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    with pytest.raises(datetimes.DateTimeInputError, match="UTC offset"):
        datetimes.parse("2026-06-01T14:30:00", require_offset=True)
    for bad in ("2026-02-31T10:00:00+00:00", "yesterday", ""):
        with pytest.raises(datetimes.DateTimeInputError):
            datetimes.parse(bad, require_offset=True)


def _body(world, started_at):
    return {
        "referral": str(world.referral.pk),
        "started_at": started_at,
        "appointment_type": "02",
        "attendance": "5",
        "medium": "02",
    }


@pytest.mark.parametrize(
    "started_at,message",
    [
        ("2026-03-29T01:30:00", "does not exist"),
        ("2026-10-25T01:30:00", "happens twice"),
        ("2026-06-01T14:30:00", "UTC offset"),
    ],
)
def test_the_api_refuses_with_a_400_that_says_why(world, started_at, message):
    before = TherapySession.objects.count()
    response = world.client("own_pwp").post("/api/v1/sessions/", _body(world, started_at), format="json")
    assert response.status_code == 400
    assert message in response.json()["started_at"][0]
    assert TherapySession.objects.count() == before


def test_the_api_takes_a_time_with_its_offset(world):
    when = (timezone.now() - timedelta(days=1)).replace(microsecond=0).astimezone(LONDON)
    response = world.client("own_pwp").post("/api/v1/sessions/", _body(world, when.isoformat()), format="json")
    assert response.status_code == 201, response.json()
    assert TherapySession.objects.get(pk=response.json()["id"]).started_at == when


def test_the_api_list_filter_uses_the_same_parser(world):
    response = world.client("own_pwp").get("/api/v1/sessions/", {"started_from": "2026-10-25T01:30:00"})
    assert response.status_code == 400 and "happens twice" in response.json()["started_from"][0]


@pytest.mark.parametrize(
    "value,message", [("2026-03-29T01:30", "does not exist"), ("2026-10-25T01:30", "happens twice")]
)
def test_the_web_form_refuses_the_same_times_with_the_same_message(client, world, value, message):
    client.force_login(world.users["own_pwp"])
    response = client.post(
        reverse("sessions:session_create", args=[world.referral.pk]),
        {"started_at": value, "appointment_type": "02", "attendance": "5", "medium": "02"},
    )
    assert response.status_code == 200
    assert message in response.context["form"].errors["started_at"][0]


def _project_serializers():
    for app in ("patients", "sessions", "stepped_care", "supervision", "reports", "accounts"):
        try:
            module = importlib.import_module(f"{app}.api")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, serializers.BaseSerializer) and cls.__module__ == module.__name__:
                yield cls
            filters = getattr(cls, "filter_serializer_class", None)
            if filters is not None:
                yield filters


def test_every_writable_api_datetime_uses_the_one_parser():
    checked = 0
    for cls in _project_serializers():
        try:
            fields = cls().fields
        except TypeError:
            continue
        for name, field in fields.items():
            if isinstance(field, serializers.DateTimeField) and not field.read_only:
                checked += 1
                assert isinstance(field, OffsetDateTimeField), f"{cls.__name__}.{name}"
    assert checked >= 3  # started_at, started_from, started_to at least
