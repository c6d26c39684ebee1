"""One monthly national extract (issue 17) of every synthetic service, in its own
process so its peak memory is the extract's alone.

    python bench/dataset_worker.py copy|plain|extract|validate <out_dir> <YYYY-MM>

extract: the product's zip of every IDB table (dataset/extract.py write_extract),
no validation. validate: the same with the validation run over every row as it
is written (what the Celery build does). copy (the reference): PostgreSQL's COPY
of the same rows by the extract's own statements (dataset/extract.py queries())
TO STDOUT, one plain file per table. plain: COPY of the same rows' stored
columns, unformatted (the reference before the extract let PostgreSQL format
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
from django.db.models import Q  # noqa: E402

from accounts.models import Service  # noqa: E402
from bench.export_worker import peak_rss_kb  # noqa: E402
from dataset.extract import ExtractScope, copy_statement, queries, referrals_in, write_extract  # noqa: E402
from dataset.validation import Validator  # noqa: E402
from patients.models import Patient  # noqa: E402
from sessions.codes import ATTENDED  # noqa: E402
from sessions.models import MeasureScore, TherapySession  # noqa: E402


def plain_queries(scope):
    """The stored columns of the extract's rows, unformatted, one query per table
    (sessions and scores read once per table that uses them, as the extract does)."""
    referrals = referrals_in(scope)
    sessions = TherapySession.objects.filter(referral__in=referrals, started_at__lt=scope.end_instant).order_by(
        "referral_id", "started_at", "pk"
    )
    scores = MeasureScore.objects.filter(
        referral__in=referrals, complete=True, taken_at__lt=scope.end_instant, total__isnull=False
    ).order_by("referral_id", "taken_at", "pk")
    score_columns = ("session_id", "referral_id", "instrument", "total", "taken_at")
    return {
        "IDS001MPI": Patient.objects.filter(pk__in=referrals.values("patient_id"))
        .order_by("pk")
        .values_list("pk", "nhs_number", "date_of_birth", "postcode", "sex", "ethnicity", "gp_practice_code"),
        "IDS101Referral": referrals.order_by("pk").values_list(
            "pk", "patient_id", "received_on", "source", "ended_on", "end_code"
        ),
        "IDS201CareContact": sessions.values_list(
            "pk", "referral_id", "started_at", "appointment_type", "medium", "attendance", "duration_minutes"
        ),
        "IDS202CareActivity": sessions.filter(attendance__in=ATTENDED).values_list(
            "pk", "referral_id", "duration_minutes", "interventions"
        ),
        "IDS603PresentingComplaints": referrals.exclude(problem_descriptor="")
        .order_by("pk")
        .values_list("pk", "problem_descriptor", "assessed_on", "received_on"),
        "IDS606CodedScoreAssessmentRefer": scores.filter(session__isnull=True).values_list(*score_columns),
        "IDS607CodedScoreAssessmentAct": scores.filter(~Q(session=None)).values_list(*score_columns),
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
                    for table, query in plain_queries(scope).items():
                        sql, params = query.query.sql_with_params()
                        select = cursor.mogrify(sql, params).decode()
                        statements[table] = f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)"
                for table, statement in statements.items():
                    path = out_dir / f"{mode}-{service.pk}-{table}.csv"
                    with open(path, "wb") as handle:
                        cursor.copy_expert(statement, handle)
                        rows += cursor.rowcount
                    written += path.stat().st_size
        else:
            validator = Validator() if mode == "validate" else None
            manifest = write_extract(
                scope, out_dir / f"{service.pk}.zip", rows_hook=validator.row if validator else None
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
