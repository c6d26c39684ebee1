"""One export of every synthetic service's year, in its own process so its
peak memory (ru_maxrss) is the export's alone.

    python bench/export_worker.py ours|copy <out.csv> <date_from> <date_to>

ours: the product's streamed CSV (reports.services.write_export_file, what
the export_audit command and the Celery export job run). copy: PostgreSQL's
COPY (the same SELECT) TO STDOUT, written to a file. ours also times the
export's audit entry with its manifest of patients (audit_seconds, apart from
seconds). Prints one JSON line."""

import json
import os
import resource
import sys
import time
from datetime import date
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import Service  # noqa: E402
from reports import services  # noqa: E402
from reports.models import ExportFormat  # noqa: E402
from reports.selectors import ReportScope  # noqa: E402
from reports.sql import copy_statement, outcome_rows_sql  # noqa: E402


def peak_rss_kb() -> int:
    """This process's own peak RSS: VmHWM starts afresh with the new address
    space of exec, whereas ru_maxrss keeps the parent's peak across it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(mode: str, out: str, date_from: str, date_to: str) -> None:
    start, end = date.fromisoformat(date_from), date.fromisoformat(date_to)
    path = Path(out)
    rows = 0
    size = 0
    service_list = list(Service.objects.filter(ods_code__startswith="SY").order_by("pk"))
    seconds = audit_seconds = 0.0
    for service in service_list:
        scope = ReportScope(service=service, team=None, date_from=start, date_to=end, label="bench")
        started = time.perf_counter()
        if mode == "ours":
            written = services.write_export_file(
                path=path, scope=scope, fmt=ExportFormat.CSV, identifiable=False, generated_by="bench"
            )
            rows += written
            seconds += time.perf_counter() - started
            # the export's audit entry and its manifest of patients (docs/decisions/012)
            started = time.perf_counter()
            services.export_audit_record(
                user=None, scope=scope, fmt=ExportFormat.CSV, identifiable=False, reason="", rows=written,
                delivery="bench",
            )  # fmt: skip
            audit_seconds += time.perf_counter() - started
        else:
            sql, params = outcome_rows_sql(service_id=service.pk, date_from=start, date_to=end)
            with connection.cursor() as cursor, open(path, "w", encoding="utf-8") as handle:
                raw = cursor.cursor
                raw.copy_expert(copy_statement(raw, sql, params), handle)
            seconds += time.perf_counter() - started
            with open(path, encoding="utf-8") as handle:
                rows += sum(1 for _ in handle) - 1  # less the header
        size += path.stat().st_size
    path.unlink(missing_ok=True)
    maxrss_mb = peak_rss_kb() / 1024
    print(json.dumps({"seconds": seconds, "rows": rows, "bytes": size, "maxrss_mb": round(maxrss_mb, 1),
                      "services": len(service_list), "audit_seconds": audit_seconds}))  # fmt: skip


if __name__ == "__main__":
    main(*sys.argv[1:5])
