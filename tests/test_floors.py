"""The floors (pyproject.toml [tool.importlinter], docs/decisions/019-floors.md):
the contracts hold on the tree as it is, and a deliberate wrong arrow breaks them."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Every package the contracts cover, as pyproject.toml lists them (a new app is added there once).
PACKAGES = tuple(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["root_packages"])
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


def _copy_tree(target: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(cwd)}
    )


def test_the_tree_keeps_every_contract(tmp_path):
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_wrong_arrow_between_floors_breaks_the_contract(tmp_path):
    # given: the patients floor reaching up into reports
    _copy_tree(tmp_path)
    with open(tmp_path / "patients" / "selectors.py", "a") as module:
        module.write("\nfrom reports import figures  # noqa\n")
    # when
    result = _lint(tmp_path)
    # then
    assert result.returncode != 0
    assert "patients is not allowed to import reports" in result.stdout


def test_a_pure_rule_module_importing_django_breaks_the_contract(tmp_path):
    _copy_tree(tmp_path)
    with open(tmp_path / "sessions" / "measures.py", "a") as module:
        module.write("\nfrom django.db import models  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "sessions.measures is not allowed to import django" in result.stdout


def test_an_import_circle_inside_an_app_breaks_the_contract(tmp_path):
    _copy_tree(tmp_path)
    with open(tmp_path / "patients" / "querysets.py", "a") as module:
        module.write("\nfrom patients import models as _models  # noqa\n")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "No import circles" in result.stdout
