"""Security headers and a strict Content-Security-Policy on every page; no inline
script, style or event handler in any template or rendered main page."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from accounts.models import Role
from tests.factories import ReferralFactory, SupervisionAssignmentFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent


def csp_directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_strict_csp_and_the_other_headers(client, db):
    response = client.get(reverse("login"))
    policy = csp_directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("SECURE_HSTS_SECONDS", "31536000"),
        ("SECURE_HSTS_INCLUDE_SUBDOMAINS", "True"),
        ("SECURE_SSL_REDIRECT", "True"),
        ("SESSION_COOKIE_SECURE", "True"),
        ("CSRF_COOKIE_SECURE", "True"),
        ("SESSION_COOKIE_HTTPONLY", "True"),
        ("CSRF_COOKIE_HTTPONLY", "True"),
        ("DEBUG", "False"),
    ],
)
def test_production_sets_hsts_and_secure_cookies(settings_module_value, name, expected):
    assert settings_module_value("iapt.settings.production", name) == expected


def test_hsts_header_is_sent_over_https(client, db, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def template_files():
    return sorted(p for p in (ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_hold_no_inline_script_style_or_handler(path):
    text = path.read_text()
    assert not INLINE_SCRIPT.search(text), "inline <script>: move it to static/js/"
    assert not INLINE_STYLE.search(text), "inline style: move it to static/css/"
    assert not EVENT_HANDLER.search(text), "on*= handler: attach it from static/js/"


class InlineFinder(HTMLParser):
    """What the CSP would block in a rendered page."""

    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs and attrs.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "style":
            self.problems.append("<style> element")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")


def test_the_finder_sees_what_the_csp_would_block():
    finder = InlineFinder()
    finder.feed('<script>x()</script><div style="a" onclick="b"></div><script type="application/json">{}</script>')
    assert finder.problems == ["inline <script>", "style= on <div>", "onclick= on <div>"]


@pytest.fixture
def main_pages(db):
    """The main page of each role, with data on it, rendered by the Django test client."""
    pwp = UserFactory(role=Role.PWP)
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    supervisor = UserFactory(role=Role.SUPERVISOR, service=pwp.service)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    manager = UserFactory(role=Role.SERVICE_MANAGER, service=pwp.service)
    return [
        (None, reverse("login")),
        (pwp, reverse("sessions:caseload")),
        (pwp, reverse("sessions:record", args=[referral.pk])),
        (pwp, reverse("sessions:session_create", args=[referral.pk])),
        (pwp, reverse("patients:detail", args=[referral.patient_id])),
        (pwp, reverse("password_change")),
        (pwp, reverse("two_factor_setup")),
        (supervisor, reverse("supervision:dashboard")),
        (supervisor, reverse("supervision:case_review", args=[referral.pk])),
        (manager, reverse("patients:referral_list")),
        (manager, reverse("patients:register")),
        (manager, reverse("patients:search")),
        (manager, reverse("reports:service_report")),
        (manager, reverse("stepped_care:waiting_lists")),
        (manager, reverse("record_access", args=[referral.patient_id])),
    ]


def test_main_pages_render_nothing_the_csp_would_block(client, main_pages):
    for user, url in main_pages:
        if user is None:
            client.logout()
        else:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        finder = InlineFinder()
        finder.feed(response.content.decode())
        assert finder.problems == [], url
