import pytest

from sessions import measures
from stepped_care.decision_support import MATRIX, SEVERE_PHQ9, step2_exclusion_reasons, suggest


def test_matrix_covers_every_problem_descriptor():
    assert set(MATRIX) == set(measures.PROBLEM_DESCRIPTORS)


@pytest.mark.parametrize(("descriptor", "step"), [("F401", 3), ("F431", 3), ("F32", 2), ("F411", 2), ("F42", 2)])
def test_step_suggested_by_problem(descriptor, step):
    assert suggest(problem_descriptor=descriptor).step == step


def test_severe_depression_suggests_step3_at_the_threshold():
    assert suggest(problem_descriptor="F32", phq9_total=SEVERE_PHQ9 - 1).step == 2
    assert suggest(problem_descriptor="F32", phq9_total=SEVERE_PHQ9).step == 3


@pytest.mark.parametrize(
    ("age", "flags", "count"), [(17, [], 1), (18, [], 0), (40, ["psychosis", "bipolar"], 2), (40, ["unknown"], 0)]
)
def test_exclusions(age, flags, count):
    assert len(step2_exclusion_reasons(age=age, flags=flags)) == count
