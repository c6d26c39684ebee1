"""Headless load test (issue 7, "Load"): simulated PWPs log in, open their
caseload, open records and log sessions against gunicorn on 127.0.0.1.

    make load                                   # 50 PWPs for 60 seconds, figures into docs/benchmarks.md
    python -m iapt.devservices load --users 10 --seconds 20 --no-docs
    make load LOAD_ARGS="capacity --search"     # issue 22: capacity with think time (bench/capacity.py)

Run through iapt.devservices (or with DATABASE_URL / REDIS_URL set): it builds a
database of its own (`<name>_load`, dropped and made again each run) with one
user and caseload per simulated PWP, starts gunicorn and a Celery worker on it,
and drives it from threads of a plain HTTP client (docs/decisions/006-reliability.md
says why not locust). Each PWP clicks as soon as the last page arrives (no
think time): the figures are the service under the heaviest use 50 people can give it.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "load-test-password-0123"  # noqa: S105 - a throwaway database's synthetic users
CASES_PER_PWP = 12
SETTINGS = "iapt.settings.local"
EXPECTED = {"login": 302, "save_session": 302}  # every other step expects 200
RECORD_LINK = re.compile(r"/referrals/([0-9a-f-]{36})/record/")


def load_database_url() -> str:
    import environ

    base = os.environ["DATABASE_URL"]
    config = environ.Env.db_url_config(base)
    name = config["NAME"] + "_load"
    parsed = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parsed._replace(path="/" + name)), config, name


def recreate_database(config: dict, name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=urllib.parse.unquote(config["HOST"]) or None,
        port=config["PORT"] or None,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def build_dataset(users: int, seed: int) -> None:
    """One service; each simulated PWP their own user and caseload of open cases with a session each."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, Service, SupervisionAssignment, User
    from patients import nhs_number
    from patients.codes import PresentingProblemType, ReferralSource
    from patients.models import Patient, PresentingProblem, Referral
    from sessions.services import therapy_session_record

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    today = timezone.localdate()
    service = Service.objects.create(name="Load test service", provider="Load test trust", ods_code="LOAD1")
    supervisor = User(username="load-supervisor", role=Role.SUPERVISOR, service=service)
    supervisor.set_password(PASSWORD)
    supervisor.save()
    numbers = set()
    for n in range(users):
        pwp = User(username=f"load-pwp-{n}", first_name="Load", last_name=f"PWP {n}", role=Role.PWP, service=service)
        pwp.set_password(PASSWORD)
        pwp.save()
        SupervisionAssignment.objects.create(supervisor=supervisor, supervisee=pwp, started=today - timedelta(days=400))
        for _ in range(CASES_PER_PWP):
            number = nhs_number.generate(rng)
            while number in numbers:
                number = nhs_number.generate(rng)
            numbers.add(number)
            received = today - timedelta(days=rng.randrange(60, 200))
            patient = Patient.objects.create(
                service=service,
                nhs_number=number,
                given_name="Load",
                family_name=f"Patient {len(numbers)}",
                date_of_birth=received - timedelta(days=365 * rng.randrange(19, 80)),
                sex="2",
            )
            referral = Referral.objects.create(
                patient=patient,
                service=service,
                source=ReferralSource.SELF,
                received_on=received,
                problem_descriptor="F32",
                status="in_treatment",
                current_step=2,
                assigned_practitioner=pwp,
                opened_at=timezone.now() - timedelta(days=rng.randrange(5, 50)),
                last_reviewed_at=timezone.now() - timedelta(days=rng.randrange(1, 20)),
            )
            # its primary presenting problem, in step with the descriptor (decision 023)
            PresentingProblem.objects.create(
                referral=referral,
                kind=PresentingProblemType.PRIMARY,
                code=referral.problem_descriptor,
                recorded_on=received,
            )
            therapy_session_record(
                user=pwp,
                referral=referral,
                started_at=timezone.now() - timedelta(days=rng.randrange(30, 50)),
                appointment_type="02",
                attendance="5",
                medium="02",
                measure_items={"PHQ9": [2, 2, 1, 1, 1, 1, 1, 1, 0], "GAD7": [1, 1, 1, 1, 1, 1, 1]},
                enqueue_followup=False,
            )


class Client:
    """A PWP's browser: cookies, the CSRF token, no redirects followed."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect())

    def send(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = None
        if data is not None:
            token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        request = urllib.request.Request(self.base + path, body, {"Referer": self.base + path})  # noqa: S310
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []

    def timed(self, client: Client, step: str, path: str, data: dict | None = None) -> str | None:
        started = time.perf_counter()
        try:
            status, body = client.send(path, data)
        except OSError as exc:
            status, body = None, repr(exc)
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[step].append(elapsed)
            if status != EXPECTED.get(step, 200):
                text = " ".join(body.split())[:200]
                self.errors.append(f"{step} {path}: {status} {text}")
                return None
        return body


def simulated_pwp(n: int, base: str, deadline: float, recorder: Recorder, seed: int) -> None:
    rng = random.Random(seed + n)
    client = Client(base)
    if recorder.timed(client, "login_page", "/login/") is None:
        return
    if recorder.timed(client, "login", "/login/", {"username": f"load-pwp-{n}", "password": PASSWORD}) is None:
        return
    while time.monotonic() < deadline:
        caseload = recorder.timed(client, "caseload", "/caseload/")
        cases = sorted(set(RECORD_LINK.findall(caseload or "")))
        if not cases:
            recorder.errors.append(f"caseload of load-pwp-{n} showed no cases")
            return
        case = rng.choice(cases)
        recorder.timed(client, "record", f"/referrals/{case}/record/")
        recorder.timed(client, "session_form", f"/referrals/{case}/sessions/new/")
        when = time.time() - rng.randrange(60, 25 * 24 * 3600)
        items = [rng.randrange(0, 3) for _ in range(8)]
        recorder.timed(
            client,
            "save_session",
            f"/referrals/{case}/sessions/new/",
            {
                "started_at": time.strftime("%Y-%m-%dT%H:%M", time.localtime(when)),
                "appointment_type": "02",
                "attendance": "5",
                "medium": "02",
                "duration_minutes": "30",
                "notes": "Load test session: reviewed the activity diary",
                **{f"PHQ9_{i + 1}": str(v) for i, v in enumerate(items)},
                "PHQ9_9": "0",
                **{f"GAD7_{i}": str(rng.randrange(0, 3)) for i in range(1, 8)},
                "confirm_no_adsm": "on",  # the case's ADSM not collected this time (issue 15)
            },
        )


def database_check(recorder: Recorder, sessions_before: int) -> tuple[int, int]:
    """Every save the server answered with a redirect is in the database; the
    outbox has published every follow-up job (given a moment after the last save)."""
    from outbox.models import OutboxMessage
    from sessions.models import TherapySession

    answered = len(recorder.latencies.get("save_session", [])) - sum(
        1 for e in recorder.errors if e.startswith("save_session")
    )
    saved = TherapySession.objects.count() - sessions_before
    if saved != answered:
        recorder.errors.append(f"{answered} saves answered, {saved} sessions in the database")
    for _ in range(20):
        unsent = OutboxMessage.objects.filter(sent_at__isnull=True).count()
        if not unsent:
            break
        time.sleep(0.5)
    if unsent:
        recorder.errors.append(f"{unsent} outbox messages unsent")
    return saved, unsent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def summarise(recorder: Recorder, seconds: float) -> list[tuple]:
    rows = []
    everything = [v for values in recorder.latencies.values() for v in values]
    for step in ("login_page", "login", "caseload", "record", "session_form", "save_session", "all requests"):
        values = everything if step == "all requests" else recorder.latencies.get(step, [])
        if not values:
            continue
        rows.append(
            (
                step,
                len(values),
                len(values) / seconds,
                1000 * percentile(values, 50),
                1000 * percentile(values, 95),
                1000 * percentile(values, 99),
            )
        )
    return rows


def markdown(rows, *, users, seconds, workers, errors, command, saved, unsent) -> str:
    cpus = os.cpu_count()
    lines = [
        "## Load",
        "",
        f"{users} simulated PWPs, each with their own user and caseload of {CASES_PER_PWP} open cases, log in,",
        "then for the duration open their caseload, open a record, open the session form and save a session",
        f"with PHQ-9 and GAD-7, with no think time, against gunicorn ({workers} sync workers, `DEBUG` off,",
        "Argon2 passwords) on 127.0.0.1, with PostgreSQL, Redis and a Celery worker (taking the flag job each",
        f"save puts in the outbox) on the same {cpus}-core machine, which other work shared while it ran.",
        "",
        f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M %Z')}).",
        "",
        f"**Errors: {errors}.** Sessions saved and found in the database afterwards: {saved};",
        f"outbox messages left unpublished: {unsent}.",
        "",
        "| step | requests | per second | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for step, count, rate, p50, p95, p99 in rows:
        lines.append(f"| {step} | {count} | {rate:.1f} | {p50:.0f} | {p95:.0f} | {p99:.0f} |")
    return "\n".join(lines) + "\n"


def write_docs(section: str) -> Path:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    pattern = re.compile(r"^## Load\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")
    return path


def main(argv: list[str]) -> int:
    if argv[:1] == ["capacity"]:  # issue 22: staff of every role with think time (bench/capacity.py)
        sys.path.insert(0, str(ROOT))
        from bench.capacity import main as capacity

        return capacity(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-docs", action="store_true", help="print the figures only")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("Run through `python -m iapt.devservices load` or set DATABASE_URL and REDIS_URL.", file=sys.stderr)
        return 2
    url, config, name = load_database_url()
    recreate_database(config, name)
    os.environ.update(
        {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": SETTINGS, "DJANGO_DEBUG": "false", "DEMO_ENABLED": "false"}
    )
    sys.path.insert(0, str(ROOT))
    print(f"building {args.users} PWPs with {CASES_PER_PWP} cases each in database {name} ...", flush=True)
    build_dataset(args.users, args.seed)
    env = {**os.environ}
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "iapt.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
        + ["--timeout", "120", "--backlog", "256", "--log-level", "warning"],
        env=env,
        cwd=ROOT,
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "iapt", "worker", "--pool=solo", "--loglevel=WARNING"]
        + ["--without-heartbeat", "--without-mingle", "--without-gossip"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    from sessions.models import TherapySession

    sessions_before = TherapySession.objects.count()
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        for _ in range(4 * args.workers):  # a server in use is warm: every worker has loaded the site
            Client(base).send("/login/")
        print(f"{args.users} PWPs for {args.seconds} s against {base} ...", flush=True)
        recorder = Recorder()
        started = time.monotonic()
        deadline = started + args.seconds
        threads = [
            threading.Thread(target=simulated_pwp, args=(n, base, deadline, recorder, args.seed))
            for n in range(args.users)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        saved, unsent = database_check(recorder, sessions_before)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(30)
        worker.wait(30)
    rows = summarise(recorder, elapsed)
    command = (
        "make load"
        if (args.users, args.seconds, args.workers) == (50, 60, 4)
        else "python -m iapt.devservices load " + " ".join(argv)
    )
    section = markdown(
        rows,
        users=args.users,
        seconds=args.seconds,
        workers=args.workers,
        errors=len(recorder.errors),
        command=command,
        saved=saved,
        unsent=unsent,
    )
    print(section)
    for error in recorder.errors[:20]:
        print("error:", error)
    if not args.no_docs:
        print(f"written to {write_docs(section)}")
    return 1 if recorder.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
