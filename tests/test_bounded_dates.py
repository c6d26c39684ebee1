"""Bounded dates on every form (issue 13 finding 12): a date outside the
supported range (core/dates.py) is a field error, never a 500, on the report
form, the export form and every page with a date field; the API's report
bound is the same constant."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import AccessLog, Role
from core import dates
from core.forms import BoundedDateField, BoundedDateTimeField
from patients.codes import ReferralSource
from reports.models import ExportJob
from tests.factories import ReferralFactory, ServiceFactory, SupervisionAssignmentFactory, UserFactory

FAR = ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"]


@pytest.fixture
def manager(db, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    user = UserFactory(service=ServiceFactory(), role=Role.SERVICE_MANAGER, band=8)
    user.user_permissions.add(Permission.objects.get(codename="export_identifiable", content_type__app_label="reports"))
    return user


@pytest.mark.parametrize(
    "query",
    [
        {"period": "month", "month": "0001-01"},
        {"period": "month", "month": "9999-12"},
        {"period": "year", "month": "0001-01"},
        {"period": "quarter", "month": "9999-12"},
        {"period": "custom", "date_from": "9999-01-01", "date_to": "9999-12-31"},
        {"period": "custom", "date_from": "0001-01-01", "date_to": "0001-12-31"},
        {"period": "year", "month": "2100-12"},  # its financial year ends in March 2101
    ],
)
def test_the_report_page_answers_a_far_date_with_a_field_error(client, manager, query):
    client.force_login(manager)
    response = client.get(reverse("reports:service_report"), query)
    assert response.status_code == 200
    form = response.context["form"]
    assert "Give a date from 01/01/2000 to 31/12/2100." in str(form.errors)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "query",
    [
        {"period": "month", "month": "0001-01"},
        {"period": "custom", "date_from": "9999-01-01", "date_to": "9999-12-31"},
    ],
)
def test_the_export_form_answers_a_far_date_with_an_error_and_exports_nothing(client, manager, query, fmt):
    client.force_login(manager)
    response = client.post(reverse("reports:export"), {**query, "format": fmt}, follow=True)
    assert response.status_code == 200
    assert "Give a date from 01/01/2000 to 31/12/2100." in response.content.decode()
    assert not AccessLog.objects.filter(action="export").exists() and not ExportJob.objects.exists()


def test_the_api_shares_the_report_bound(manager):
    from rest_framework.test import APIClient

    from accounts.services import api_token_issue

    _, secret = api_token_issue(user=manager, name="t")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    first, last = dates.REPORT
    inside = api.get("/api/v1/reports/service/", {"date_from": first.isoformat(), "date_to": first.isoformat()})
    assert inside.status_code == 200
    before = date(first.year - 1, 12, 31).isoformat()
    assert api.get("/api/v1/reports/service/", {"date_from": before, "date_to": before}).status_code == 400
    after = date(last.year + 1, 1, 1).isoformat()
    assert api.get("/api/v1/reports/service/", {"date_from": after, "date_to": after}).status_code == 400


@pytest.fixture
def clinic(db):
    service = ServiceFactory()
    pwp = UserFactory(service=service, role=Role.PWP)
    supervisor = UserFactory(service=service, role=Role.SUPERVISOR, band=7)
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    return {
        "referral": ReferralFactory(patient__service=service, assigned_practitioner=pwp),
        "pwp": pwp,
        "supervisor": supervisor,
        "admin": UserFactory(service=service, role=Role.REFERRAL_ADMIN),
        "manager": UserFactory(service=service, role=Role.SERVICE_MANAGER),
    }


def _pages(clinic):
    """(who, method, url, data with {d} where the far date goes, the field)."""
    referral = clinic["referral"]
    return [
        ("admin", "post", reverse("patients:register"), {"date_of_birth": "{d}"}, "date_of_birth"),
        ("admin", "post", reverse("patients:register"), {"received_on": "{d}"}, "received_on"),
        (
            "admin",
            "post",
            reverse("patients:edit", args=[referral.patient_id]),
            {"date_of_birth": "{d}", "version": "1"},
            "date_of_birth",
        ),
        (
            "admin",
            "post",
            reverse("patients:referral_edit", args=[referral.pk]),
            {"received_on": "{d}", "version": "1", "source": ReferralSource.SELF},
            "received_on",
        ),
        ("manager", "get", reverse("patients:referral_list"), {"received_from": "{d}"}, "received_from"),
        (
            "pwp",
            "post",
            reverse("sessions:session_create", args=[referral.pk]),
            {"started_at": "{d}T10:00"},
            "started_at",
        ),
        (
            "pwp",
            "post",
            reverse("sessions:step_propose", args=[referral.pk]),
            {"kind": "step_up", "to_step": "3", "reason": "x", "effective_on": "{d}"},
            "effective_on",
        ),
        (
            "supervisor",
            "post",
            reverse("supervision:case_review", args=[referral.pk]),
            {"decisions": ["continue"], "next_review_on": "{d}"},
            "next_review_on",
        ),
        (
            "supervisor",
            "post",
            reverse("supervision:case_review", args=[referral.pk]),
            {"decisions": ["risk_action"], "risk_action": "x", "risk_action_due": "{d}"},
            "risk_action_due",
        ),
        (
            "supervisor",
            "post",
            reverse("supervision:clinical_skills"),
            {"held_on": "{d}", "format": "individual"},
            "held_on",
        ),
    ]


@pytest.mark.parametrize("far", FAR)
@pytest.mark.parametrize("index", range(10))
def test_every_date_field_answers_a_far_date_with_a_field_error(client, clinic, index, far):
    who, method, url, data, field = _pages(clinic)[index]
    client.force_login(clinic[who])
    data = {k: (v.format(d=far) if isinstance(v, str) else v) for k, v in data.items()}
    response = getattr(client, method)(url, data)
    assert response.status_code == 200, (url, response.status_code)
    assert "Give a date from 01/01/1900 to 31/12/2100." in str(response.context["form"].errors.get(field)), (
        url,
        field,
        response.context["form"].errors,
    )


def test_every_form_date_field_is_bounded():
    """No form in the project has an unbounded date field: a new one fails here."""
    import django.forms

    import patients.forms
    import reports.forms
    import sessions.forms
    import supervision.forms

    unbounded = []
    for module in (patients.forms, reports.forms, sessions.forms, supervision.forms):
        for name in dir(module):
            form = getattr(module, name)
            if (
                isinstance(form, type)
                and issubclass(form, django.forms.BaseForm)
                and form.__module__ == module.__name__
            ):
                for field_name, field in form.base_fields.items():
                    if isinstance(field, django.forms.DateField | django.forms.DateTimeField) and not isinstance(
                        field, BoundedDateField | BoundedDateTimeField
                    ):
                        unbounded.append(f"{form.__name__}.{field_name}")
    assert unbounded == []
