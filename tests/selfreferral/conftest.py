"""Helpers for the self-referral tests: a person's answers, page by page, and a
walk through the public form with Django's test client."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.notify_standin import NotifyStandIn

ANSWERS = {
    "name": {"given_name": "Robin", "family_name": "O’Selfton", "website": ""},
    "date-of-birth": {"day": "15", "month": "3", "year": "1984"},
    "nhs-number": {"nhs_number": ""},
    "address": {"address_line_1": "1 High Street", "address_line_2": "", "town": "Leeds", "postcode": "ls1 4ap"},
    "gp": {"gp_practice_name": "Riverside Medical Centre"},
    "contact": {"mobile": "07700 900123", "phone": "", "email": "", "channels": ["sms", "letter"]},
    "problem": {"problem": "I have felt low and worried for months.", "duration": "lt1y"},
    "hopes": {"hopes": "Sleep better."},
    "risk": {"thoughts": "no", "plans": "no", "others": "no"},
    "about-you": {"gender": "2", "gender_description": "", "ethnicity": "A"},
}


def step_url(slug: str) -> str:
    return reverse("selfreferral:step", args=[slug])


def walk(client, *, overrides: dict | None = None, until: str | None = None):
    """Posts every page's answers (with `overrides` {slug: {field: value}}); stops
    before `until`. Returns the last response."""
    response = None
    for slug, answers in ANSWERS.items():
        if slug == until:
            break
        data = {**answers, **((overrides or {}).get(slug, {}))}
        response = client.post(step_url(slug), data)
        assert response.status_code == 302, (slug, response.content.decode()[:3000])
    return response


@pytest.fixture(autouse=True)
def _fresh_limits(settings):
    """Rate-limit counters live in the suite's real Redis: each test starts from none.
    The minimum completion time is 0 unless a test sets it."""
    cache.clear()
    settings.SELF_REFERRAL_MIN_SECONDS = 0
    yield
    cache.clear()


@pytest.fixture
def notify(settings):
    """The stand-in Notify on 127.0.0.1 and the settings pointing the real client at it."""
    standin = NotifyStandIn().start()
    settings.NOTIFY_API_KEY = standin.api_key
    settings.NOTIFY_BASE_URL = standin.base_url
    settings.NOTIFY_SELF_REFERRAL_SMS_TEMPLATE_ID = "33333333-3333-4333-8333-333333333333"
    settings.NOTIFY_SELF_REFERRAL_EMAIL_TEMPLATE_ID = "44444444-4444-4444-8444-444444444444"
    yield standin
    standin.stop()
