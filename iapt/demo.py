"""The whole demo service that `make run` loads, built floor by floor.

Each app contributes its own part through a `build` function (patients: the
service, users and referrals; sessions: the care contacts and measures; reports:
the export permissions; feedback: the expected course; supervision: assignments' reviews and flags;
dataset: the submission permission); this
module, above every app, calls them in order in one transaction. Deterministic
(seeded), so every run builds the same service."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from dataset import demo as dataset_demo
from feedback import demo as feedback_demo
from patients import demo as patients_demo
from reports import demo as reports_demo
from selfreferral import demo as selfreferral_demo
from sessions import demo as sessions_demo
from supervision import demo as supervision_demo

DEMO_LOGINS = patients_demo.DEMO_LOGINS


@transaction.atomic
def load_demo(*, patients: int = 300, seed: int = 20261124, today: date | None = None) -> dict:
    """Builds the demo service once; a second call changes nothing.

    Returns {"created": False} when the demo service exists already, else the
    patients floor's result dict (service, users, teams, referrals, rng) with
    every floor's part built on it."""
    if patients_demo.demo_loaded():
        return {"created": False}
    result = patients_demo.build(patients=patients, seed=seed, today=today)
    sessions_demo.build(result)
    _analyze_bulk_loaded_tables()
    reports_demo.grant_demo_permissions(result["users"])
    feedback_demo.build(result)
    supervision_demo.build(result)
    dataset_demo.build(result)
    selfreferral_demo.build(result)
    return result


def _analyze_bulk_loaded_tables() -> None:
    """ANALYZE the tables the demo has just filled, inside its transaction (ANALYZE
    may run in one, and samples the rows the transaction sees). Without it the
    planner plans the expected course and the flag sweep that follow for tables
    it last saw empty: a nested loop over every score for every case ran the
    sweep's score statement for over ten minutes on 300 patients."""
    from patients.models import Patient, PresentingProblem, Referral
    from sessions.models import MeasureScore, TherapySession

    tables = [m._meta.db_table for m in (Patient, Referral, PresentingProblem, TherapySession, MeasureScore)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(t) for t in tables))
