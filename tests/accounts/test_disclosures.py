"""Every disclosure of a patient shows on their "Who read this record" page
(issue 13 finding 4): each page, API list and export that shows patients,
and each download of an export job, leaves an entry that the access page of
every patient shown lists, and of no patient not shown."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import AccessLogPatient, Role
from accounts.services import api_token_issue
from patients.codes import ReferralStatus
from patients.selectors import record_access_for_manager
from reports import services as report_services
from reports.models import ExportJob
from sessions.models import RiskAssessment
from stepped_care.models import StepChange, StepChangeKind
from supervision.models import CaseReview, Flag, FlagReason
from tests.factories import ReferralFactory, ServiceFactory, SupervisionAssignmentFactory, UserFactory, gad7, phq9


@pytest.fixture
def world(db, settings, tmp_path):
    settings.EXPORT_ROOT = tmp_path / "exports"
    service = ServiceFactory()
    pwp = UserFactory(service=service, role=Role.PWP, username="the-pwp")
    supervisor = UserFactory(service=service, role=Role.SUPERVISOR, band=7, username="the-supervisor")
    manager = UserFactory(service=service, role=Role.SERVICE_MANAGER, band=8, username="the-manager")
    manager.user_permissions.add(
        Permission.objects.get(codename="export_identifiable", content_type__app_label="reports")
    )
    auditor = UserFactory(service=service, role=Role.SERVICE_MANAGER, username="the-auditor")
    SupervisionAssignmentFactory(supervisor=supervisor, supervisee=pwp)
    received = timezone.localdate() - timedelta(days=60)
    shown = [
        ReferralFactory(
            patient__service=service,
            patient__family_name="Shared",
            assigned_practitioner=pwp,
            received_on=received,
        )
        for _ in range(2)
    ]
    waiting = ReferralFactory(
        patient__service=service, patient__family_name="Waiting", status=ReferralStatus.WAITING, received_on=received
    )
    # in the service, but in no caseload, search, waiting list or export period
    not_shown = ReferralFactory(
        patient__service=service,
        patient__family_name="Other",
        status=ReferralStatus.ENDED,
        received_on=timezone.localdate() - timedelta(days=400),
        ended_on=timezone.localdate() - timedelta(days=300),
        end_code="46",
    )
    for referral in shown:
        from sessions.services import therapy_session_record

        therapy_session_record(
            user=pwp,
            referral=referral,
            started_at=timezone.now() - timedelta(days=7),
            appointment_type="02",
            attendance="5",
            medium="02",
            measure_items={"PHQ9": phq9(12), "GAD7": gad7(9)},
            enqueue_followup=False,
        )
        Flag.objects.create(referral=referral, reason=FlagReason.RISK)
        RiskAssessment.objects.create(
            referral=referral,
            recorded_by=pwp,
            trigger="event",
            risk_to_self="low",
            risk_to_others="none",
            risk_from_others="none",
            level="low",
            plan="Plan.",
        )
        StepChange.objects.create(
            referral=referral,
            kind=StepChangeKind.STEP_UP,
            from_step=2,
            to_step=3,
            effective_on=timezone.localdate(),
            reason="x",
            proposed_by=pwp,
        )
        CaseReview.objects.create(
            referral=referral,
            reviewer=supervisor,
            decisions=["continue"],
            next_review_on=timezone.localdate() + timedelta(days=14),
        )
    return {
        "service": service,
        "users": {"pwp": pwp, "supervisor": supervisor, "manager": manager},
        "auditor": auditor,
        "shown": shown,
        "waiting": waiting,
        "not_shown": not_shown,
    }


def _web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    _, secret = api_token_issue(user=user, name="disclosures")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _period():
    today = timezone.localdate()
    return {"period": "custom", "date_from": (today - timedelta(days=90)).isoformat(), "date_to": today.isoformat()}


def _session_page(world):
    client = _web(world["users"]["supervisor"])
    started = client.post(reverse("supervision:session_start"), {"supervisee": world["users"]["pwp"].pk})
    assert started.status_code == 302
    return client.get(started["Location"])


def _job(world, *, identifiable: bool):
    manager = world["users"]["manager"]
    scope = report_services.report_scope_for_user(
        user=manager, filters={**_period(), "service_id": world["service"].pk}
    )
    job = report_services.export_job_request(
        user=manager, scope=scope, fmt="csv", identifiable=identifiable, reason="Audit" if identifiable else ""
    )
    report_services.export_job_run(job_id=job.pk)
    return ExportJob.objects.get(pk=job.pk)


def _job_download_web(world):
    job = _job(world, identifiable=True)
    return _web(world["users"]["manager"]).get(reverse("reports:export_job_download", args=[job.pk]))


def _job_download_api(world):
    job = _job(world, identifiable=False)
    return _api(world["users"]["manager"]).get(f"/api/v1/exports/{job.pk}/download/")


def _api_list(endpoint, who="pwp"):
    return lambda world: _api(world["users"][who]).get(f"/api/v1/{endpoint}/")


# name -> (who reads, how, which patients it shows: "shown" (the PWP's two
# cases), "waiting", "all" (those and the waiting one: an export's period) or
# "service" (every patient of the service, the one outside the period too))
DISCLOSURES = {
    "referral list": (
        "manager",
        lambda w: _web(w["users"]["manager"]).get(reverse("patients:referral_list")),
        "service",
    ),
    "search": (
        "manager",
        lambda w: _web(w["users"]["manager"]).post(reverse("patients:search"), {"q": "Shared"}),
        "shown",
    ),
    "caseload": ("pwp", lambda w: _web(w["users"]["pwp"]).get(reverse("sessions:caseload")), "shown"),
    "waiting lists": (
        "manager",
        lambda w: _web(w["users"]["manager"]).get("/waiting-lists/"),
        "waiting",
    ),
    "supervision dashboard": (
        "supervisor",
        lambda w: _web(w["users"]["supervisor"]).get(reverse("supervision:dashboard")),
        "shown",
    ),
    "supervision session (agenda)": ("supervisor", _session_page, "shown"),
    "api patients": ("manager", _api_list("patients", "manager"), "service"),
    "api referrals": ("manager", _api_list("referrals", "manager"), "service"),
    "api sessions": ("pwp", _api_list("sessions"), "shown"),
    "api risk events": ("pwp", _api_list("risk-events"), "shown"),
    "api step changes": ("pwp", _api_list("step-changes"), "shown"),
    "api flags": ("supervisor", _api_list("flags", "supervisor"), "shown"),
    "api reviews": ("supervisor", _api_list("reviews", "supervisor"), "shown"),
    "csv export": (
        "manager",
        lambda w: _web(w["users"]["manager"]).post(reverse("reports:export"), {**_period(), "format": "csv"}),
        "all",
    ),
    "xlsx export": (
        "manager",
        lambda w: _web(w["users"]["manager"]).post(reverse("reports:export"), {**_period(), "format": "xlsx"}),
        "all",
    ),
    "identifiable csv export": (
        "manager",
        lambda w: _web(w["users"]["manager"]).post(
            reverse("reports:export"), {**_period(), "format": "csv", "identifiable": "on", "reason": "Audit"}
        ),
        "all",
    ),
    "export job download (page)": ("manager", _job_download_web, "all"),
    "export job download (api)": ("manager", _job_download_api, "all"),
}


def _reads_on_access_page(world, patient_id, reader) -> int:
    """How many entries of `reader` the patient's access page lists."""
    entries = record_access_for_manager(user=world["auditor"], patient_id=patient_id)
    return sum(1 for entry in entries if entry.username == reader.username)


@pytest.mark.parametrize("name", list(DISCLOSURES))
def test_every_patient_shown_lists_the_read_on_their_access_page(world, name):
    who, show, which = DISCLOSURES[name]
    reader = world["users"][who]
    everyone = [*world["shown"], world["waiting"], world["not_shown"]]
    expected = {
        "shown": world["shown"],
        "waiting": [world["waiting"]],
        "all": [*world["shown"], world["waiting"]],
        "service": everyone,
    }[which]
    before = {r.pk: _reads_on_access_page(world, r.patient_id, reader) for r in everyone}
    # when the page, list or export shows them
    response = show(world)
    assert response.status_code == 200, (name, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body
    # then each patient shown has the read on their access page, and the others have not
    for referral in everyone:
        now = _reads_on_access_page(world, referral.patient_id, reader)
        if referral in expected:
            assert now > before[referral.pk], (name, "not listed", referral.pk)
        else:
            assert now == before[referral.pk], (name, "listed but not shown", referral.pk)


def test_an_export_writes_one_entry_and_a_manifest_of_its_patients(world):
    """One audit row per export plus one manifest row per patient, written in
    one statement: the cost of auditing 100,000 rows is one INSERT ... SELECT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _web(world["users"]["manager"])
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("reports:export"), {**_period(), "format": "csv"})
        b"".join(response.streaming_content)
    inserts = [q["sql"] for q in queries.captured_queries if "accounts_accesslogpatient" in q["sql"]]
    assert len(inserts) == 1 and inserts[0].startswith("INSERT INTO accounts_accesslogpatient")
    patients = {r.patient_id for r in (*world["shown"], world["waiting"])}
    assert set(AccessLogPatient.objects.values_list("patient_id", flat=True)) == patients


def test_the_manifest_is_append_only(world):
    from django.db import DatabaseError, transaction

    client = _web(world["users"]["manager"])
    b"".join(client.post(reverse("reports:export"), {**_period(), "format": "csv"}).streaming_content)
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogPatient.objects.all().delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        AccessLogPatient.objects.update(patient_id=world["not_shown"].patient_id)
    assert AccessLogPatient.objects.count() == 3
