"""The database itself refuses impossible measures, even past the services."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from sessions import measures
from sessions.models import MeasureScore, TherapySession
from tests.factories import ReferralFactory, UserFactory


@pytest.fixture
def session(db):
    pwp = UserFactory()
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    return TherapySession.objects.create(
        referral=referral,
        practitioner=pwp,
        created_by=pwp,
        started_at=timezone.now() - timedelta(hours=1),
        appointment_type="02",
        attendance="5",
        medium="02",
    )


def insert(session, instrument, items, total, complete=True):
    return MeasureScore.objects.create(
        session=session,
        referral=session.referral,
        taken_at=session.started_at,
        instrument=instrument,
        items=items,
        total=total,
        complete=complete,
        reference_version="test",
    )


def test_the_migration_matches_the_reference_data():
    from importlib import import_module

    migration = import_module("sessions.migrations.0003_measure_range_checks")
    for code, instrument in measures.INSTRUMENTS.items():
        items, lo, hi, max_total = migration.INSTRUMENTS[code]
        assert (items, lo, hi) == (instrument.item_count, instrument.item_min, instrument.item_max), code
        if instrument.scoring != "items":
            assert max_total == instrument.max_total, code


@pytest.mark.parametrize(
    ("instrument", "items", "total", "complete"),
    [
        ("PHQ9", [4, 0, 0, 0, 0, 0, 0, 0, 0], 4, True),  # item out of range
        ("PHQ9", [0] * 8, 0, True),  # wrong item count
        ("PHQ9", [3] * 9, 28, True),  # total out of range
        ("GAD7", [-1, 0, 0, 0, 0, 0, 0], 0, True),
        ("PHQ9", [1, None, 1, 1, 1, 1, 1, 1, 1], None, True),  # complete with a missing item
        ("PHQ9", [1, None, 1, 1, 1, 1, 1, 1, 1], 8, False),  # incomplete with a total
        ("MI", [0] * 27, 0, True),  # MI items run 1-5
        ("NOPE", [1], 1, True),  # unknown instrument
    ],
)
def test_impossible_measures_are_refused(session, instrument, items, total, complete):
    with pytest.raises(IntegrityError), transaction.atomic():
        insert(session, instrument, items, total, complete)


def test_possible_measures_are_accepted(session):
    insert(session, "PHQ9", [3] * 9, 27)
    insert(session, "GAD7", [None] * 7, None, complete=False)
    insert(session, "MI", [5] * 27, 5)
    assert MeasureScore.objects.count() == 3
