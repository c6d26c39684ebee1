"""One monthly national extract (issue 17) of every synthetic service, in its own
process so its peak memory is the extract's alone.

    python bench/dataset_worker.py copy|extract|validate <out_dir> <YYYY-MM>

extract: the product's zip of every IDB table (dataset/extract.py write_extract),
no validation. validate: the same with the validation run over every row as it
is written (what the Celery build does). copy: PostgreSQL's COPY of the same
rows (the extract's own queries) TO STDOUT, one file per table. Prints one JSON
line: seconds, rows, peak memory."""

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
from dataset.extract import QUERIES, ExtractScope, write_extract  # noqa: E402
from dataset.validation import Validator  # noqa: E402


def main(mode: str, out: str, month: str) -> None:
    year, number = (int(x) for x in month.split("-"))
    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = 0
    seconds = 0.0
    errors = 0
    for service in Service.objects.filter(ods_code__startswith="SY").order_by("pk"):
        scope = ExtractScope.for_month(service, year, number)
        started = time.perf_counter()
        if mode == "copy":
            with connection.cursor() as cursor:
                for table, query in QUERIES.items():
                    sql, params = query(scope).query.sql_with_params()
                    statement = cursor.mogrify(sql, params).decode()
                    with open(out_dir / f"copy-{service.pk}-{table}.csv", "w", encoding="utf-8") as handle:
                        cursor.copy_expert(f"COPY ({statement}) TO STDOUT WITH CSV HEADER", handle)
                        rows += cursor.rowcount
        else:
            validator = Validator() if mode == "validate" else None
            manifest = write_extract(
                scope, out_dir / f"{service.pk}.zip", rows_hook=validator.row if validator else None
            )
            rows += sum(t["rows"] for t in manifest["tables"])
            if validator:
                errors += validator.finish().errors
        seconds += time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "errors": errors, "maxrss_mb": peak_rss_kb() / 1024}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
