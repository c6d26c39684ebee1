"""EXPLAIN ANALYZE of the statements behind the missed targets, on the last
database the bench generated (kept after `make bench`):

    python -m iapt.devservices bench-explain

Prints, for the largest service's year: the outcome SELECT (the export), every
statement of the service report's figures (`reports.figures.service_report`,
as the page runs them), and each statement of the flag sweep, with their top
plan lines. `python -m iapt.devservices bench-explain report` shows the report
only, with longer plans."""

import os
import sys
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Service  # noqa: E402
from reports.sql import outcome_rows_sql  # noqa: E402
from supervision import sweep  # noqa: E402


def explain(title: str, sql: str, params, lines: int = 14) -> None:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + sql, params)
        plan = [row[0] for row in cursor.fetchall()]
    print(f"\n--- {title}")
    for line in plan[:lines] + [p for p in plan[lines:] if "Execution Time" in p or "Planning Time" in p]:
        print(line[:160])


def report_statements(service, date_from, date_to) -> list[tuple[str, object]]:
    """The statements of one service report, captured as the page runs them."""
    from reports import figures
    from reports.selectors import ReportScope

    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    scope = ReportScope(service=service, team=None, date_from=date_from, date_to=date_to)
    with connection.execute_wrapper(capture):
        figures.service_report(scope)
    return captured


def explain_report(service, date_from, date_to, lines: int) -> None:
    with transaction.atomic():
        for index, (sql, params) in enumerate(report_statements(service, date_from, date_to), 1):
            if sql.lstrip().upper().startswith(("SELECT SET_CONFIG", "SAVEPOINT", "RELEASE")):
                continue
            explain(f"report statement {index}: {' '.join(sql.split())[:90]}", sql, params, lines)
        transaction.set_rollback(True)


def main() -> None:
    service = Service.objects.annotate(n=Count("referrals")).order_by("-n")[0]
    today = timezone.localdate()
    date_from = today - timedelta(days=365)
    if sys.argv[1:] == ["report"]:
        explain_report(service, date_from, today, 40)
        return
    sql, params = outcome_rows_sql(service_id=service.pk, date_from=date_from, date_to=today)
    explain(f"outcome SELECT, {service.n} referrals of {service}", sql, params)
    explain_report(service, date_from, today, 14)
    params = sweep._params(timezone.now(), None)
    with transaction.atomic():
        explain("sweep: resolve", sweep.RESOLVE.format(only=""), params, 8)
        for reason, statement in sweep.CRITERIA.items():
            explain(f"sweep: {reason}", statement.format(only=""), params, 10)
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
