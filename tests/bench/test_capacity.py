"""The capacity run (bench/capacity.py, issue 22) for a few seconds with a
handful of staff against a live gunicorn, on a database of its own beside the
suite's: the report's shape, and every save the server confirmed found in the
database. No timing is asserted (figures belong to `make load`)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from bench.capacity import LOGIN_KINDS, mix

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_run_reports_every_role_and_finds_every_confirmed_save(tmp_path):
    # given the tool, its think times scaled down so a few seconds hold saves of every kind
    out = tmp_path / "capacity.json"
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "capacity", "--staff", "8", "--baseline", "0"]
    command += ["--ramp", "3", "--warmup", "2", "--steady", "20", "--think-scale", "0.01"]
    command += ["--no-docs", "--no-queries", "--json", str(out)]

    # when it runs against its own gunicorn and Celery worker
    done = subprocess.run(command, cwd=ROOT, env={**os.environ}, capture_output=True, text=True, timeout=600)

    # then it finished, and the report has both phases, every role's pages and the saves
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    (step,) = result["steps"]
    assert step["staff"] == 8 and step["mix"] == mix(8) and sum(mix(8).values()) == 8
    reference, real = step["reference"], step["real"]
    assert set(LOGIN_KINDS) <= set(reference["kinds"])
    assert reference["kinds"]["login"]["requests"] == 8
    assert reference["kinds"]["login"]["statuses"] == {"302": 8}
    for kind in ("caseload", "supervision_dashboard", "report", "all requests"):
        row = real["kinds"][kind]
        assert row["requests"] > 0
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
        assert sum(row["statuses"].values()) == row["requests"]
    assert reference["kinds"]["all requests"]["requests"] > 0  # the same scripts, every request the bare view
    failures = reference["failure_examples"] + real["failure_examples"]
    assert reference["failures"] == 0 and real["failures"] == 0, failures
    assert sum(real["saves_made"].values()) > 0
    assert real["saves_made"] == real["saves_found"]
    assert {"client", "gunicorn", "postgres", "machine"} <= set(real["cpu_cores"])
    assert set(step["verdict"]) >= {"p95_ratio", "passes_shell", "passes_relative", "saves_match", "failures"}
    assert step["verdict"]["saves_match"] is True
