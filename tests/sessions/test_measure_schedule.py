"""The measures due at a session (sessions/measure_schedule.py, issue 15) and
the order of the interventions offered."""

import pytest

from sessions.forms import interventions_for
from sessions.measure_schedule import Schedule, due_instruments, schedule_from
from stepped_care.decision_support import STEP2_INTERVENTIONS, STEP3_INTERVENTIONS

OFFERED = ["PHQ9", "GAD7", "SPIN", "WSAS", "PHOBIA"]


@pytest.mark.parametrize(
    ("since", "discharge", "due"),
    [
        ({"WSAS": None, "PHOBIA": None}, False, OFFERED),  # first session: everything
        ({"WSAS": 0, "PHOBIA": 3}, False, ["PHQ9", "GAD7", "SPIN"]),  # taken before: every-session ones only
        ({"WSAS": 5, "PHOBIA": 0}, True, OFFERED),  # a discharge proposed: the last session
        ({"WSAS": None, "PHOBIA": 2}, False, ["PHQ9", "GAD7", "SPIN", "WSAS"]),
    ],
)
def test_default_schedule(since, discharge, due):
    assert due_instruments(OFFERED, sessions_without=since, discharge_proposed=discharge) == due


def test_every_n_sessions_and_overrides():
    schedule = schedule_from({"WSAS": {"every": 4, "before_discharge": False}})
    assert schedule["WSAS"] == Schedule(first=True, every=4, before_discharge=False)

    def due(since, discharge):
        since = {"WSAS": since}
        return due_instruments(["WSAS"], sessions_without=since, discharge_proposed=discharge, schedule=schedule)

    assert due(3, True) == [] and due(4, False) == ["WSAS"]
    with pytest.raises(TypeError):
        schedule_from({"WSAS": {"sometimes": True}})


@pytest.mark.parametrize("step", [None, 2, 3])
def test_the_cases_step_interventions_come_first_and_none_is_lost(step):
    offered = interventions_for(step)
    first = STEP3_INTERVENTIONS if step == 3 else STEP2_INTERVENTIONS
    assert offered[: len(first)] == list(first)
    assert sorted(offered) == sorted(STEP2_INTERVENTIONS + STEP3_INTERVENTIONS)
