"""Report figures and export jobs over the API: the reports roles only (404
for everyone else), and an export downloaded only by the person who asked."""

from reports import services
from reports.models import ExportJob


def test_an_export_is_queued_run_and_downloaded_by_its_requester_only(
    world, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.EXPORT_ROOT = tmp_path
    manager = world.client("manager")
    body = {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "csv"}
    # the job is queued after commit; the worker is not started here, so run it in process
    with django_capture_on_commit_callbacks(execute=False):
        created = manager.post("/api/v1/exports/", body, format="json")
    assert created.status_code == 201, created.content
    job_id = created.json()["id"]
    assert created.json()["status"] == "queued" and created.json()["identifiable"] is False

    not_ready = manager.get(f"/api/v1/exports/{job_id}/download/")
    assert not_ready.status_code == 400

    services.export_job_run(job_id=job_id)
    assert manager.get(f"/api/v1/exports/{job_id}/").json()["status"] == "done"
    download = manager.get(f"/api/v1/exports/{job_id}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")
    header = b"".join(download.streaming_content).splitlines()[0].decode()
    assert "nhs_number" not in header.lower()  # pseudonymised by default

    for role in ("own_pwp", "own_supervisor", "admin"):
        assert world.client(role).get(f"/api/v1/exports/{job_id}/download/").status_code == 404
        assert world.client(role).post("/api/v1/exports/", body, format="json").status_code == 404
    assert ExportJob.objects.count() == 2  # the fixture's and the manager's; nobody else's was made


def test_an_identifiable_export_needs_the_permission(world):
    response = world.client("manager").post(
        "/api/v1/exports/",
        {"date_from": "2026-01-01", "date_to": "2026-12-31", "format": "csv", "identifiable": True, "reason": "audit"},
        format="json",
    )
    assert response.status_code == 403


def test_the_report_is_for_reports_roles_only(world):
    params = {"date_from": "2026-01-01", "date_to": "2026-12-31"}
    assert world.client("manager").get("/api/v1/reports/service/", params).status_code == 200
    for role in ("own_pwp", "own_supervisor", "admin"):
        assert world.client(role).get("/api/v1/reports/service/", params).status_code == 404
    bad = world.client("manager").get("/api/v1/reports/service/", {"date_from": "2026-12-31", "date_to": "2026-01-01"})
    assert bad.status_code == 400 and "date_to" in bad.json()
