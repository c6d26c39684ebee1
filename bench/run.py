"""The benchmarks: `make bench` (small) or `make bench SCALE=national`.

    python -m iapt.devservices bench [small|national|<referrals>[,<referrals>...]] [--only 1,3]

For each size: a fresh database `iapt_bench` on the same server, migrated;
the synthetic year generated (bench/synthetic.py), timed against PostgreSQL
writing a plain table of as many rows; then the six benchmarks of issue 8
(bench/cases.py), each printing our figure, the reference limit measured in
the same run, and the ratio. Results go to bench/out/ (JSON per size, a
summary, and the scale plot); a national run also writes
docs/benchmarks-scale.png.

The server is the one devservices started (or DATABASE_URL's); the bench
raises max_wal_size there (ALTER SYSTEM) so a bulk load is not a string of
forced checkpoints, as any bulk-loading DBA would.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
OUT = BASE_DIR / "bench" / "out"
PY = sys.executable
NATIONAL = 2_000_000
SCALES = {
    "small": [5_000, 20_000],  # 0.25% and 1% of the national year: a couple of minutes
    "national": [20_000, 200_000, NATIONAL],  # 1%, 10%, 100%
}
BENCH_DB = "iapt_bench"


def log(message: str) -> None:
    print(message, flush=True)


def _url_for(database: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + database))


def _admin_connection():
    import psycopg2

    parts = urlsplit(os.environ["DATABASE_URL"])
    from urllib.parse import unquote

    conn = psycopg2.connect(
        dbname="postgres",
        user=unquote(parts.username or "postgres"),
        password=unquote(parts.password) if parts.password else None,
        host=unquote(parts.hostname or "") or None,
        port=parts.port,
    )
    conn.autocommit = True
    return conn


def measure_on_fresh_database(script: str, database: str, argument: str) -> int:
    """The standalone benches' common start (bench/appointments.py,
    bench/questionnaires.py): drop and create `database` on the bench server,
    migrate it, then run `script --measure argument` against it in a new process
    (settings local, DEBUG off, a new connection per request). Returns that
    process's exit code (1 if the migration failed)."""
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {database}")
    conn.close()
    env = {**os.environ, "DATABASE_URL": _url_for(database), "DJANGO_SETTINGS_MODULE": "iapt.settings.local",
           "DJANGO_DEBUG": "false", "DB_CONN_MAX_AGE": "0"}  # fmt: skip
    if subprocess.call([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env):
        return 1
    return subprocess.call([sys.executable, script, "--measure", argument], cwd=BASE_DIR, env=env)


def fresh_database() -> None:
    conn = _admin_connection()
    with conn.cursor() as cur:
        cur.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        cur.execute(f"CREATE DATABASE {BENCH_DB}")
        # Bulk loads: fewer forced checkpoints. Takes effect on reload, no restart.
        cur.execute("ALTER SYSTEM SET max_wal_size = '8GB'")
        cur.execute("ALTER SYSTEM SET checkpoint_timeout = '30min'")
        cur.execute("SELECT pg_reload_conf()")
    conn.close()


def machine() -> dict:
    info = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    try:
        info["cpu"] = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        mem_kb = int(
            next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1]
        )
        info["memory_gb"] = round(mem_kb / 1024 / 1024, 1)
    except (OSError, StopIteration, ValueError):
        pass
    return info


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def env_for_bench() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": _url_for(BENCH_DB),
        "DJANGO_SETTINGS_MODULE": "iapt.settings.local",
        "DJANGO_DEBUG": "false",
        "DB_CONN_MAX_AGE": "0",
    }


def run_size(referrals: int, only: set[str] | None) -> dict:
    env = env_for_bench()
    result: dict = {"referrals": referrals, "load_before": load_average()}
    log(f"\n=== {referrals:,} referrals ({referrals / NATIONAL:.2%} of the national year) ===")
    log(f"load average before: {result['load_before']}")
    fresh_database()
    code = subprocess.call([PY, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=BASE_DIR, env=env)
    if code:
        raise SystemExit(f"migrate failed ({code})")
    out_file = OUT / f"results-{referrals}.json"
    code = subprocess.call([PY, str(BASE_DIR / "bench" / "cases.py"), str(referrals), str(out_file),
                            ",".join(sorted(only)) if only else ""], cwd=BASE_DIR, env=env)  # fmt: skip
    if code:
        raise SystemExit(f"benchmarks failed at {referrals} referrals ({code})")
    result.update(json.loads(out_file.read_text()))
    result["load_after"] = load_average()
    out_file.write_text(json.dumps(result, indent=2, default=str))
    return result


def parse_scale(value: str) -> list[int]:
    if value in SCALES:
        return SCALES[value]
    try:
        return [int(x) for x in value.split(",")]
    except ValueError:
        raise SystemExit(f"SCALE is small, national or referral counts (e.g. 20000,200000); not {value!r}") from None


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scale", nargs="?", default="small")
    parser.add_argument("--only", default="", help="benchmarks to run, e.g. generate,1,3")
    args = parser.parse_args(argv)
    sizes = parse_scale(args.scale or "small")
    only = {x.strip() for x in args.only.split(",") if x.strip()} or None
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.time()
    info = {"machine": machine(), "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "scale": args.scale}
    log(f"machine: {info['machine']}")
    results = [run_size(n, only) for n in sizes]
    info["seconds"] = round(time.time() - started, 1)
    summary = {**info, "results": results}
    name = args.scale if args.scale in SCALES else "custom"
    (OUT / f"summary-{name}.json").write_text(json.dumps(summary, indent=2, default=str))
    from bench import report

    report.print_table(summary)
    (OUT / f"benchmarks-{name}.md").write_text(report.markdown(summary) + "\n")
    plot = OUT / f"benchmarks-scale-{name}.png"
    if report.plot(summary, plot) and name == "national":
        (BASE_DIR / "docs" / "benchmarks-scale.png").write_bytes(plot.read_bytes())
        log("plot written to docs/benchmarks-scale.png")
    log(f"\nall done in {info['seconds']:.0f} s; results in {OUT}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(BASE_DIR))
    sys.exit(main(sys.argv[1:]))
