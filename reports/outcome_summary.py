"""The stored outcome summary (reports_referraloutcome): one row per referral
holding what the `c` and `m` summaries of reports/sql.py compute from its
sessions and measures, so the service report aggregates one row a referral
(docs/decisions/008-report-outcome-summary.md).

Triggers (migration reports 0002) queue a referral in reports_outcomequeue, in
the writer's own transaction, whenever its sessions or measures change, when it
is created and when its problem descriptor changes. `outcomes_refresh` recomputes
queued referrals in ONE statement: it locks their queue entries, deletes them and
upserts the summaries computed by the same SQL text as the live SELECT, all
under one snapshot. So:

- a session committed after the refresh's snapshot has a queue entry the
  refresh cannot see, so cannot delete: it stays queued for the next refresh;
- two refreshes of one referral never leave the older computation last: each
  locks *every* entry of the referrals it takes, in (referral, id) order, so a
  refresh that sees an entry another holds waits for it to commit (and then
  computes from at least as much), and one that finds them all deleted by a
  committed refresh has nothing left to write; the fixed order rules out
  deadlocks;
- a killed or rolled back refresh restores the entries.

Who refreshes: the report, for its own service just before it aggregates (a
handful of referrals at any moment); the Celery beat task every minute, in
batches (`refresh_outcomes`); `manage.py refresh_outcomes --full` queues every
referral and builds them all. The beat task also compares a fingerprint of the
refresh's SQL and codes with the one the summaries were built under, and
queues every referral when a release changed it. The bulk load of bench/synthetic.py turns the
triggers off and queues every referral itself.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import connection, transaction
from django.utils import timezone

from .sql import (
    CONTACT_COLUMNS,
    CONTACT_SUMMARY,
    MEASURE_COLUMNS,
    MEASURE_SUMMARY,
    SUMMARY_COLUMNS,
    SUMMARY_TABLE,
    descriptor_values,
    summary_params,
)

QUEUE_TABLE = "reports_outcomequeue"
# Referrals a batch of the beat task recomputes in one transaction: about 0.4 s
# at 70-90 us a referral (bench, 200,000 referrals), so a backlog (a full
# rebuild) commits often and a report waiting on a batch waits little.
BATCH = 5000


def _refresh_sql(*, service_scoped: bool, limited: bool) -> str:
    pick_scope = (
        "JOIN patients_referral pr ON pr.id = oq.referral_id AND pr.service_id = %(service_id)s"
        if service_scoped
        else ""
    )
    limit = "ORDER BY oq.referral_id LIMIT %(limit)s" if limited else ""
    names = ", ".join(SUMMARY_COLUMNS)
    updates = ", ".join(f"{name} = EXCLUDED.{name}" for name in SUMMARY_COLUMNS)
    changed = f"({', '.join(f'o.{n}' for n in SUMMARY_COLUMNS)}) IS DISTINCT FROM ({', '.join(f'EXCLUDED.{n}' for n in SUMMARY_COLUMNS)})"  # noqa: E501
    return f"""
WITH pick AS (
    SELECT DISTINCT oq.referral_id FROM {QUEUE_TABLE} oq {pick_scope} {limit}
),
-- Every entry of the picked referrals, locked in one fixed order (see the module docstring).
locked AS MATERIALIZED (
    SELECT oq.id FROM {QUEUE_TABLE} oq
    WHERE oq.referral_id IN (SELECT referral_id FROM pick)
    ORDER BY oq.referral_id, oq.id
    FOR UPDATE
),
drained AS (
    DELETE FROM {QUEUE_TABLE} oq WHERE oq.id IN (SELECT id FROM locked) RETURNING oq.referral_id
)
INSERT INTO {SUMMARY_TABLE} AS o (referral_id, {names})
SELECT r.id, {", ".join([f"c.{n}" for n in CONTACT_COLUMNS] + [f"m.{n}" for n in MEASURE_COLUMNS])}
FROM patients_referral r
LEFT JOIN (VALUES
    {{descriptors}}
) AS da(descriptor, instrument) ON da.descriptor = r.problem_descriptor
CROSS JOIN LATERAL {CONTACT_SUMMARY} c
CROSS JOIN LATERAL {MEASURE_SUMMARY} m
WHERE r.id IN (SELECT referral_id FROM drained)
ON CONFLICT (referral_id) DO UPDATE SET {updates}
WHERE {changed}
"""  # noqa: S608 - fixed fragments only; every value is a parameter


def refresh_statement(*, service_id: int | None = None, limit: int | None = None) -> tuple[str, dict]:
    """The refresh's one statement and its parameters (psycopg2 style)."""
    params = summary_params()
    sql = _refresh_sql(service_scoped=service_id is not None, limited=limit is not None)
    sql = sql.replace("{descriptors}", descriptor_values(params))
    params.update(service_id=service_id, limit=limit)
    return sql, params


def outcomes_refresh(*, service_id: int | None = None, limit: int | None = None) -> int:
    """Recomputes the queued referrals (of one service, or all; at most `limit`
    referrals) in one statement; returns the number of summaries written
    (unchanged ones are not rewritten). Runs in the caller's transaction, or
    commits on its own in autocommit."""
    sql, params = refresh_statement(service_id=service_id, limit=limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def definition_fingerprint() -> str:
    """A hash of everything the stored summaries depend on besides the rows: the
    refresh's SQL text and its parameters (national codes, time zone, each
    descriptor's ADSM). Thresholds are not in it: they are applied at read time."""
    sql, params = refresh_statement()
    return hashlib.sha256((sql + json.dumps(params, sort_keys=True, default=str)).encode()).hexdigest()


def outcomes_check_definition() -> bool:
    """Queues every referral once if the summaries were computed under another
    definition (a release changed the SQL or the codes), or under none recorded;
    True if it did. Run by the beat task before it drains the queue."""
    from .models import OutcomeDefinition

    if OutcomeDefinition.objects.filter(pk=1, fingerprint=definition_fingerprint()).exists():
        return False
    return outcomes_requeue_all(only_if_changed=True) is not None


def outcomes_requeue_all(*, only_if_changed: bool = False) -> int | None:
    """Queues every referral and records the current definition, in one
    transaction: from then on every summary is either built under it or queued.
    With only_if_changed, does nothing (None) if another worker already did."""
    from .models import OutcomeDefinition

    fingerprint = definition_fingerprint()
    with transaction.atomic():
        OutcomeDefinition.objects.get_or_create(pk=1, defaults={"fingerprint": ""})
        current = OutcomeDefinition.objects.select_for_update().get(pk=1)
        if only_if_changed and current.fingerprint == fingerprint:
            return None
        queued = outcomes_enqueue_all()
        current.fingerprint, current.changed_at = fingerprint, timezone.now()
        current.save()
    return queued


def outcomes_refresh_all(*, batch: int = BATCH, log: Callable[[str], None] | None = None) -> int:
    """Drains the whole queue in batches, each its own transaction (the beat
    task; the full rebuild), after queueing everything if the definition
    changed. Safe to run twice or concurrently."""
    if outcomes_check_definition() and log:
        log("outcome summaries: the definition changed; every referral queued")
    written = 0
    while True:
        with transaction.atomic():
            before = _queue_has_entries()
            if not before:
                return written
            written += outcomes_refresh(limit=batch)
        if log:
            log(f"outcome summaries: {written} written")


def _queue_has_entries() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {QUEUE_TABLE})")  # noqa: S608
        return cursor.fetchone()[0]


def outcomes_enqueue_all(*, service_id: int | None = None) -> int:
    """Queues every referral (of a service): the full rebuild's first step, and
    what a bulk load does instead of firing the triggers row by row."""
    where = "WHERE service_id = %(service_id)s" if service_id is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {QUEUE_TABLE} (referral_id) SELECT id FROM patients_referral {where}",  # noqa: S608
            {"service_id": service_id},
        )
        return cursor.rowcount


def outcomes_enqueue_missing(*, service_id: int) -> int:
    """Queues the service's referrals that have no summary at all (written
    while the triggers were off): the report finds them by its LEFT join and
    builds them rather than leave them out."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {QUEUE_TABLE} (referral_id) SELECT r.id FROM patients_referral r "  # noqa: S608 - fixed names
            f"WHERE r.service_id = %(service_id)s "
            f"AND NOT EXISTS (SELECT 1 FROM {SUMMARY_TABLE} so WHERE so.referral_id = r.id)",
            {"service_id": service_id},
        )
        return cursor.rowcount


def outcomes_rebuild(*, log: Callable[[str], None] | None = None) -> int:
    """Every summary recomputed: queue every referral (committed), then drain."""
    outcomes_requeue_all()
    return outcomes_refresh_all(log=log)
