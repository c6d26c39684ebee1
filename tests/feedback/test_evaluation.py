"""The evaluation of the boundaries on held-out courses (reports/feedback_evaluation.py
and its command): a service where stalled courses never recover and improving
ones do gives full sensitivity and specificity at session 2."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command

from reports.feedback_evaluation import evaluate
from tests.factories import ServiceFactory
from tests.reports.factories import Case, Visit, build

pytestmark = pytest.mark.django_db


def _course(n: int, improving: bool) -> Case:
    scores = (
        [(16, 12), (8, 5), (5, 4)] if improving else [(16, 12), (17, 13), (16, 12)]
    )  # recovered at the end, or still at caseness on both
    received = date(2025, 6, 1) + timedelta(days=n % 60)
    return Case(
        received_on=received,
        ended_on=received + timedelta(days=40),
        visits=[Visit(7 * (i + 1), scores={"PHQ9": p, "GAD7": g}) for i, (p, g) in enumerate(scores)],
    )


def test_stalled_courses_are_flagged_and_improving_ones_are_not(capsys):
    service = ServiceFactory(ods_code="EVAL1")
    build(service=service, cases=[_course(n, improving=n % 5 != 0) for n in range(250)])
    results = {e.session_number: e for e in evaluate(service_id=service.pk, min_sample=20)}
    second = results[2]
    assert second.recovered > 10 and second.not_recovered > 2
    assert second.recovered + second.not_recovered + second.without_boundary < 120  # about a fifth held out
    assert (second.sensitivity, second.specificity) == (1.0, 1.0)
    assert results[4].without_boundary == results[4].recovered + results[4].not_recovered + results[4].without_boundary
    call_command("evaluate_outcome_feedback", service="EVAL1", min_sample=20)
    out = capsys.readouterr().out
    assert "EVAL1: boundary at the 75% percentile" in out
    assert "100.0%" in out
