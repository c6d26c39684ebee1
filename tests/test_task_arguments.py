"""Celery tasks take ids only, never patient data: the broker (Redis) stores
every argument in clear, and a task's arguments show in worker logs."""

import inspect

from iapt.celery import app

PROJECT_APPS = (
    "accounts",
    "patients",
    "sessions",
    "stepped_care",
    "appointments",
    "supervision",
    "questionnaires",
    "reports",
    "iapt",
)


def project_tasks():
    app.loader.import_default_modules()
    return {name: task for name, task in app.tasks.items() if task.__module__.split(".")[0] in PROJECT_APPS}


def test_project_tasks_are_found():
    names = set(project_tasks())
    assert {"supervision.flag_cases", "supervision.flag_referral", "reports.tasks.run_export"} <= names


def takes_an_id_or_a_plain_number(parameter) -> bool:
    """An id (a primary key, `..._id` / `..._ids`), or a plain count or switch
    (a batch size, a flag) that cannot carry a name or an NHS number."""
    if parameter.name.endswith(("_id", "_ids")):
        return True
    return parameter.annotation in (int, bool, float, "int", "bool", "float") and not any(
        word in parameter.name for word in ("nhs", "name", "number", "patient")
    )


def test_every_project_task_takes_only_ids():
    for name, task in project_tasks().items():
        for parameter in inspect.signature(task.run).parameters.values():
            assert takes_an_id_or_a_plain_number(parameter), f"{name}({parameter.name}): tasks take ids only"
            assert parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD), name
