"""The clinical safety hazard log (docs/clinical-safety/hazard-log.md) is
complete and checked: every hazard has its DCB0129 fields, ratings that agree
with the matrix, and controls naming tests that exist (found with ast, not by
running or importing them)."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAZARD_LOG = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
TEST_ID = re.compile(r"`(tests/[\w/]+\.py)::(\w+)(?:\[[^\]]*\])?`")
FIELDS = ("Hazard", "Cause", "Effect", "Severity", "Likelihood", "Initial risk rating", "Controls")
SEVERITIES = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS = ("Very low", "Low", "Medium", "High", "Very high")
# The risk matrix of the log: MATRIX[likelihood][severity].
MATRIX = {
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
REQUIRED = {
    "wrong score": "Wrong score",
    "item 9": "item 9 risk missed",
    "overdue": "Overdue case not flagged",
    "wrong user": "Record shown to the wrong user",
    "outcome figures": "Wrong outcome figures reported",
    "data lost": "Data lost on save",
    "stale edit": "stale edit overwrites",
    "export leaked": "Identifiable export",
    "outage": "Outage while a session is being logged",
}


def hazards(text: str) -> dict[str, str]:
    """Hazard heading -> its section."""
    parts = re.split(r"^### ", text, flags=re.MULTILINE)[1:]
    return {part.splitlines()[0].strip(): part for part in parts}


def field(section: str, name: str) -> str:
    match = re.search(rf"^- {re.escape(name)}:(.*)$", section, flags=re.MULTILINE)
    return match.group(1).strip() if match else ""


@cache
def defined_tests(path: str) -> frozenset[str]:
    """The test functions a file defines at module level, read with ast."""
    file = ROOT / path
    if not file.is_file():
        return frozenset()
    tree = ast.parse(file.read_text())
    return frozenset(
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    )


def missing_tests(text: str) -> list[str]:
    return [f"{path}::{name}" for path, name in TEST_ID.findall(text) if name not in defined_tests(path)]


def test_the_log_covers_the_required_hazards():
    headings = list(hazards(HAZARD_LOG.read_text()))
    for key, words in REQUIRED.items():
        assert any(words.lower() in heading.lower() for heading in headings), f"no hazard for {key}"


@pytest.mark.parametrize("heading", list(hazards(HAZARD_LOG.read_text())))
def test_each_hazard_has_its_fields_ratings_and_named_tests(heading):
    section = hazards(HAZARD_LOG.read_text())[heading]
    assert re.match(r"H-\d{2} ", heading), "hazard ids are H-NN"
    for name in FIELDS:
        assert f"- {name}:" in section, f"{heading}: no {name}"
        assert name == "Controls" or field(section, name), f"{heading}: {name} is empty"
    severity, likelihood = field(section, "Severity"), field(section, "Likelihood")
    assert severity in SEVERITIES and likelihood in LIKELIHOODS, heading
    assert int(field(section, "Initial risk rating")) == MATRIX[likelihood][SEVERITIES.index(severity)], heading
    residual = re.match(r"(\d) \((\w+), ([\w ]+)\)", field(section, "Residual risk rating"))
    assert residual, f"{heading}: residual rating as 'N (Severity, Likelihood)'"
    rating, r_severity, r_likelihood = int(residual.group(1)), residual.group(2), residual.group(3)
    assert rating == MATRIX[r_likelihood][SEVERITIES.index(r_severity)], heading
    controls = section.split("- Controls:", 1)[1]
    assert TEST_ID.findall(controls), f"{heading}: the controls name no test"
    assert missing_tests(section) == [], f"{heading}: named tests that do not exist"


def test_a_named_test_that_does_not_exist_is_caught():
    text = (
        "`tests/test_hazard_log.py::test_a_named_test_that_does_not_exist_is_caught` "
        "`tests/test_hazard_log.py::test_no_such_thing` `tests/no_such_file.py::test_x` "
        "`tests/accounts/test_record_access.py::test_other_roles_get_404[pwp]`"
    )
    assert missing_tests(text) == ["tests/test_hazard_log.py::test_no_such_thing", "tests/no_such_file.py::test_x"]
