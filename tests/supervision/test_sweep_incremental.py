"""The hourly sweep is incremental (supervision/sweep.py): the same flags as the
full sweep, with only the queued cases and the overdue ones read."""

from datetime import timedelta

import psycopg2
import pytest
from django.db import DataError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bench import synthetic
from patients.models import Referral
from sessions.models import RiskAssessment
from stepped_care.models import StepChange
from supervision import sweep as sweep_module
from supervision.models import Flag, SweepQueue
from supervision.sweep import sweep

from .conftest import RISK, log, open_case


def open_allocated():
    return Referral.objects.filter(status__in=sweep_module.OPEN_CASE_STATUSES, assigned_practitioner__isnull=False)


def flag_set():
    return set(Flag.objects.values_list("referral_id", "reason", "resolved_at"))


def full_run_flags(now):
    """The flags a full sweep would leave from this state, computed and rolled back."""
    with transaction.atomic():
        sweep(now=now, full=True)
        flags = flag_set()
        transaction.set_rollback(True)
    return flags


@pytest.fixture
def year(db):
    synthetic.generate(referrals=2000, seed=11, heavy_caseload=60)


def change_evidence(now) -> None:
    """A varied hour of work on separate slices of the open cases, through plain SQL and
    the ORM (so every kind of write reaches the queue through the triggers)."""
    with connection.cursor() as cursor:
        ids = list(open_allocated().order_by("pk").values_list("pk", flat=True))
        assert len(ids) > 200
        # The last two appointments of 20 cases turn out to be DNAs (an amendment).
        cursor.execute(
            """UPDATE therapy_sessions_therapysession s SET attendance = '3'
               FROM (SELECT id, row_number() OVER (PARTITION BY referral_id ORDER BY started_at DESC, id DESC) AS rn
                     FROM therapy_sessions_therapysession WHERE referral_id = ANY(%s::uuid[])) x
               WHERE x.id = s.id AND x.rn <= 2""",
            [ids[0:20]],
        )
        # Risk events on 20 cases.
        cursor.execute("SELECT id FROM accounts_user WHERE username LIKE 'syn-%%-pwp-%%' ORDER BY id LIMIT 1")
        pwp_id = cursor.fetchone()[0]
    RiskAssessment.objects.bulk_create(
        RiskAssessment(
            referral_id=pk, recorded_at=now - timedelta(minutes=5), recorded_by_id=pwp_id, trigger="clinician",
            risk_to_self="high", risk_to_others="none", risk_from_others="none", level="high", plan="Crisis plan",
        )
        for pk in ids[20:40]
    )  # fmt: skip
    # Step changes proposed on 20 cases; the proposals already open elsewhere confirmed.
    StepChange.objects.filter(status="proposed").update(status="confirmed", decided_at=now)
    StepChange.objects.bulk_create(
        StepChange(
            referral_id=pk, kind="step_up", from_step=2, to_step=3, effective_on=now.date(), reason="Complex",
            proposed_by_id=pwp_id,
        )
        for pk in ids[40:60]
    )  # fmt: skip
    with connection.cursor() as cursor:
        # Assessments awaiting a step decision, and decisions made elsewhere.
        cursor.execute("UPDATE patients_referral SET status = 'assessed' WHERE id = ANY(%s::uuid[])", [ids[60:80]])
        cursor.execute("UPDATE patients_referral SET status = 'waiting' WHERE status = 'assessed' AND id <> ALL(%s)",
                       [ids[60:80]])  # fmt: skip
        # Flags resolved by hand on cases whose criteria still hold.
        cursor.execute(
            "UPDATE supervision_flag SET resolved_at = %s WHERE resolved_at IS NULL AND referral_id = ANY(%s::uuid[])",
            [now - timedelta(minutes=1), ids[80:160]],
        )
        # Cases ended, and cases left without a practitioner.
        cursor.execute(
            """UPDATE patients_referral SET status = 'ended', ended_on = GREATEST(received_on, %s::date),
                      end_code = '46' WHERE id = ANY(%s::uuid[])""",
            [now.date(), ids[160:180]],
        )
        cursor.execute("UPDATE patients_referral SET assigned_practitioner_id = NULL WHERE id = ANY(%s::uuid[])",
                       [ids[180:190]])  # fmt: skip
        # Reviews: evidence before them no longer counts.
        cursor.execute("UPDATE patients_referral SET last_reviewed_at = %s WHERE id = ANY(%s::uuid[])",
                       [now - timedelta(minutes=30), ids[0:5] + ids[20:25]])  # fmt: skip


def test_the_incremental_run_leaves_the_flags_of_a_full_run_on_a_varied_year(year):
    now = timezone.now()
    sweep(now=now, full=True)  # the bulk load queues nothing: a full sweep follows it
    assert not SweepQueue.objects.exists()
    change_evidence(now)
    assert SweepQueue.objects.exists()
    expected = full_run_flags(now)

    incremental = sweep(now=now)

    assert flag_set() == expected
    for reason in ("risk", "dna", "step_change", "awaiting_step"):
        assert incremental.raised[reason] > 0, reason
    assert incremental.resolved > 0  # ended, unallocated, decided
    assert not SweepQueue.objects.exists()
    again = sweep(now=now, full=True)
    assert again.raised_total == 0 and again.resolved == 0


def test_a_repeat_run_reads_no_evidence_and_only_overdue_cases_by_index(year, django_assert_max_num_queries):
    now = timezone.now()
    sweep(now=now, full=True)
    with CaptureQueriesContext(connection) as queries:
        second = sweep(now=now)
    assert second.raised_total == 0 and second.resolved == 0
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"]]
    # set_config, drain the (empty) queue, the overdue criterion, set_config: no criterion
    # over sessions, measures, risk events or step changes runs.
    assert len(statements) == 4
    statements = " ".join(statements)
    assert "therapy_sessions" not in statements and "stepped_care" not in statements

    sql = sweep_module.CRITERIA["overdue_review"].format(only="")
    params = sweep_module._params(now, None)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0][0]["Plan"]
        transaction.set_rollback(True)
    open_cases = open_allocated().count()
    nodes = list(_nodes(plan))
    referral_scans = [n for n in nodes if n.get("Relation Name") == "patients_referral"]
    assert any(n.get("Index Name") == "referral_review_due_idx" for n in nodes)
    assert all(n["Node Type"] != "Seq Scan" for n in referral_scans)
    overdue = Flag.objects.filter(reason="overdue_review", resolved_at__isnull=True).count()
    rows_read = sum(n["Actual Rows"] + n.get("Rows Removed by Filter", 0) for n in referral_scans)
    assert 0 < rows_read == overdue < open_cases / 3  # the overdue cases only, not every open case


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def test_new_evidence_after_a_sweep_is_picked_up_by_the_next(team):
    pwp, _ = team
    referral = open_case(pwp)
    sweep()
    assert not Flag.objects.filter(referral=referral).exists()
    log(pwp, referral, days_ago=0, risk=RISK)
    assert SweepQueue.objects.filter(referral_id=referral.pk).exists()
    assert sweep().raised["risk"] == 1
    assert not SweepQueue.objects.exists()
    second = sweep()
    assert second.raised_total == 0 and second.resolved == 0


def test_a_rolled_back_run_leaves_the_queue_for_the_next(team):
    pwp, _ = team
    referral = open_case(pwp, status="assessed")
    with transaction.atomic():
        assert sweep().raised["awaiting_step"] == 1
        transaction.set_rollback(True)
    assert SweepQueue.objects.filter(referral_id=referral.pk).exists()
    assert sweep().raised["awaiting_step"] == 1


def test_the_queue_stays_on_while_the_caller_writes_after_a_sweep(team):
    """The sweep switches queueing off for its own flag writes only."""
    pwp, _ = team
    with transaction.atomic():
        sweep()
        referral = open_case(pwp, status="assessed")
    assert SweepQueue.objects.filter(referral_id=referral.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_evidence_committed_during_a_sweep_waits_for_the_next(team):
    """A writer's transaction that commits after the sweep's snapshot is never skipped:
    its queue entry is invisible to the sweep, so the sweep cannot delete it."""
    pwp, _ = team
    referral = open_case(pwp, status="waiting")
    sweep()
    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], host=s["HOST"] or None, port=s["PORT"] or None, password=s["PASSWORD"]
    )
    try:
        with other.cursor() as cursor:
            cursor.execute("UPDATE patients_referral SET status = 'assessed' WHERE id = %s", [str(referral.pk)])
        during = sweep()  # the writer has not committed yet
        other.commit()
    finally:
        other.close()
    assert during.raised["awaiting_step"] == 0
    assert sweep().raised["awaiting_step"] == 1


@pytest.mark.parametrize("cases", [1, 12])
def test_query_count_is_constant_in_the_queued_cases(team, cases, django_assert_max_num_queries):
    pwp, _ = team
    for _ in range(cases):
        open_case(pwp, status="assessed")
    # The sweep's savepoint and its release (the test runs in a transaction), set_config,
    # drain the queue, resolve, eight criteria (not on track the eighth), set_config (no risk:
    # no notification).
    with django_assert_max_num_queries(14):
        result = sweep()
    assert result.raised["awaiting_step"] == cases
    # An empty queue: savepoint, set_config, drain, the overdue criterion, set_config, release.
    with django_assert_max_num_queries(6):
        assert sweep().raised_total == 0


def test_a_large_backlog_is_swept_in_full(team, monkeypatch):
    pwp, _ = team
    cases = [open_case(pwp, status="assessed") for _ in range(3)]
    monkeypatch.setattr(sweep_module, "FULL_SWEEP_FROM", 2)
    with CaptureQueriesContext(connection) as queries:
        result = sweep()
    assert result.raised["awaiting_step"] == len(cases)
    assert not any("unnest(" in q["sql"] for q in queries.captured_queries)  # no list of ids: every open case


def test_a_failed_sweep_inside_a_transaction_leaves_queueing_on(team, monkeypatch):
    pwp, _ = team
    monkeypatch.setitem(sweep_module.CRITERIA, "step_change", "SELECT 1 / 0")
    with transaction.atomic():
        with pytest.raises(DataError):
            sweep(full=True)
        referral = open_case(pwp, status="assessed")  # the caller carries on after the error
    assert SweepQueue.objects.filter(referral_id=referral.pk).exists()
