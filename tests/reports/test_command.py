"""python manage.py export_audit: the same files from the command line, audited."""

import csv

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from accounts.models import AccessLog

from .factories import build
from .test_views import simple_cases

ARGS = ["--service", "RPT01", "--from", "2026-04-01", "--to", "2026-06-30"]


def test_writes_the_pseudonymised_csv_and_audits_it(service, tmp_path, capsys):
    build(service=service, cases=simple_cases(3))
    out = tmp_path / "audit.csv"
    call_command("export_audit", *ARGS, "--format", "csv", "--out", str(out))
    with open(out, newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 3 and "patient_pseudonym" in rows[0] and "nhs_number" not in rows[0]
    assert "Wrote 3 referral rows" in capsys.readouterr().out
    log = AccessLog.objects.get(action="export")
    assert log.username == "system" and log.detail["row_count"] == 3 and log.detail["delivery"] == "command: audit.csv"


def test_writes_the_workbook(service, manager, tmp_path):
    build(service=service, cases=simple_cases(2))
    out = tmp_path / "audit.xlsx"
    call_command("export_audit", *ARGS, "--format", "xlsx", "--out", str(out), "--user", "manager")
    book = openpyxl.load_workbook(out)
    assert "Outcomes" in book.sheetnames and book["Records"].max_row == 3
    assert AccessLog.objects.get(action="export").username == "manager"


def test_identifiable_needs_a_permitted_user_and_a_reason(service, manager, identifiable_manager, tmp_path):
    build(service=service, cases=simple_cases(1))
    out = tmp_path / "named.csv"
    with pytest.raises(CommandError):
        call_command("export_audit", *ARGS, "--out", str(out), "--identifiable", "--reason", "Audit")
    with pytest.raises(CommandError, match="State why"):
        call_command("export_audit", *ARGS, "--out", str(out), "--identifiable", "--user", "manager")
    assert not out.exists() and not AccessLog.objects.filter(action="export").exists()
    call_command(
        "export_audit",
        *ARGS,
        "--out",
        str(out),
        "--identifiable",
        "--user",
        "manager",
        "--reason",
        "Commissioner audit",
    )
    with open(out, newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert row["nhs_number"] and row["family_name"] == "Patient0"
    assert AccessLog.objects.get(action="export").detail["reason"] == "Commissioner audit"


def test_a_user_without_reports_access_is_refused(service, practitioner, tmp_path):
    with pytest.raises(CommandError, match="cannot report"):
        call_command("export_audit", *ARGS, "--out", str(tmp_path / "x.csv"), "--user", "pwp")


def test_an_unknown_service_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No single service"):
        call_command("export_audit", *ARGS, "--out", str(tmp_path / "x.csv"))
