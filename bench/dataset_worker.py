"""One monthly national extract (issue 17) of every synthetic service, in its own
process so its peak memory is the extract's alone.

    python bench/dataset_worker.py copy|plain|extract|validate <out_dir> <YYYY-MM>

extract: the product's zip of every IDB table (dataset/extract.py write_extract),
no validation. validate: the same with the validation run over every row as it
is written (what the Celery build does). copy (the reference): PostgreSQL's COPY
of the same rows by the extract's own statements (dataset/extract.py queries())
TO STDOUT, one plain file per table. plain: COPY of the same rows' stored
columns, unformatted (the same FROM, WHERE and ORDER BY) (the reference before the extract let PostgreSQL format
them: shown beside it, so the formatting moved into SQL is not hidden). Prints
one JSON line: seconds, rows, bytes written, peak memory."""

import json
import os
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from accounts.models import Service  # noqa: E402
from bench.export_worker import peak_rss_kb  # noqa: E402
from dataset.extract import ExtractScope, copy_statement, queries, scope_params, write_extract  # noqa: E402
from dataset.validation import Validator  # noqa: E402

# The stored columns of each table's rows, unformatted: the same FROM, WHERE and
# ORDER BY as the extract's statement (dataset/extract.py queries()).
PLAIN_COLUMNS = {
    "IDS001MPI": "p.id, p.nhs_number, p.date_of_birth, p.postcode, p.sex, p.ethnicity, p.gp_practice_code",
    "IDS101Referral": "r.id, r.patient_id, r.received_on, r.source, r.ended_on, r.end_code",
    "IDS201CareContact": "s.id, s.referral_id, s.started_at, s.appointment_type, s.medium, s.attendance,"
    " s.duration_minutes",
    "IDS202CareActivity": "s.id, s.referral_id, s.duration_minutes, i.code, i.n",
    "IDS603PresentingComplaints": "r.id, r.problem_descriptor, r.assessed_on, r.received_on",
    "IDS606CodedScoreAssessmentRefer": "m.session_id, m.referral_id, m.instrument, m.total, m.taken_at",
    "IDS607CodedScoreAssessmentAct": "m.session_id, m.referral_id, m.instrument, m.total, m.taken_at",
}


def main(mode: str, out: str, month: str) -> None:
    year, number = (int(x) for x in month.split("-"))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = 0
    seconds = 0.0
    errors = 0
    written = 0
    for service in Service.objects.filter(ods_code__startswith="SY").order_by("pk"):
        scope = ExtractScope.for_month(service, year, number)
        started = time.perf_counter()
        if mode in ("copy", "plain"):
            with connection.cursor() as cursor:
                if mode == "copy":
                    statements = {table: copy_statement(scope, query) for table, query in queries().items()}
                else:
                    statements = {}
                    for table, query in queries().items():
                        select = cursor.mogrify(f"SELECT {PLAIN_COLUMNS[table]} {query.source}", scope_params(scope))
                        statements[table] = f"COPY ({select.decode()}) TO STDOUT WITH (FORMAT csv, HEADER)"
                for table, statement in statements.items():
                    path = out_dir / f"{mode}-{service.pk}-{table}.csv"
                    with open(path, "wb") as handle:
                        cursor.copy_expert(statement, handle)
                        rows += cursor.rowcount
                    written += path.stat().st_size
        else:
            validator = Validator() if mode == "validate" else None
            manifest = write_extract(
                scope, out_dir / f"{service.pk}.zip", rows_batch_hook=validator.rows_of if validator else None
            )
            rows += sum(t["rows"] for t in manifest["tables"])
            written += (out_dir / f"{service.pk}.zip").stat().st_size
            if validator:
                errors += validator.finish().errors
        seconds += time.perf_counter() - started
    print(
        json.dumps(
            {"seconds": seconds, "rows": rows, "bytes": written, "errors": errors, "maxrss_mb": peak_rss_kb() / 1024}
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
