"""Issue 14 item 5: every CSV for people starts with the UTF-8 byte-order mark,
so Excel shows `Brontë`, not `BrontÃ«`; the API keeps its own content type."""

import pytest
from django.core.management import call_command

from reports import exports, services
from reports.models import ExportJob

from .factories import build
from .test_command import ARGS
from .test_views import export, simple_cases

BOM = b"\xef\xbb\xbf"


def test_the_csv_generator_starts_with_the_mark_once(db):
    chunks = list(exports.csv_chunks([], identifiable=False))
    text = "".join(chunks)
    assert text.startswith("\ufeff") and text.count("\ufeff") == 1


def test_the_page_download_starts_with_the_mark(client, service, manager):
    build(service=service, cases=simple_cases(2))
    client.force_login(manager)
    response = export(client)
    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert body.startswith(BOM) and body.count(BOM) == 1
    assert body.decode("utf-8-sig").startswith("referral_id") or body.decode("utf-8-sig")[0].isalpha()


def test_the_background_job_file_and_its_api_download_start_with_the_mark(service, manager, tmp_path, settings):
    settings.EXPORT_ROOT = tmp_path
    build(service=service, cases=simple_cases(2))
    job = ExportJob.objects.create(
        requested_by=manager,
        filters={"service_id": service.pk, "date_from": "2026-04-01", "date_to": "2026-06-30"},
        format="csv",
    )
    services.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (tmp_path / job.file_path).read_bytes().startswith(BOM)

    from tests.api.conftest import token_client

    download = token_client(manager).get(f"/api/v1/exports/{job.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Type"].startswith("text/csv")  # the API keeps its content type
    assert b"".join(download.streaming_content).startswith(BOM)


@pytest.mark.django_db
def test_the_command_line_export_starts_with_the_mark(service, manager, tmp_path):
    build(service=service, cases=simple_cases(2))
    out = tmp_path / "audit.csv"
    call_command("export_audit", *ARGS, "--format", "csv", "--out", str(out))
    assert out.read_bytes().startswith(BOM)
