"""Self-referral under load (issue 20, "Performance"): people refer themselves
through the public form, page by page, at a steady rate against gunicorn on
127.0.0.1, while a probe reads the static urgent-help page of the same
template (the reference, measured in the same run).

    python -m iapt.devservices bench-selfreferral                 # 200 a minute for 5 minutes
    python -m iapt.devservices bench-selfreferral --quick         # 200 a minute for 30 s

Run through iapt.devservices (or with DATABASE_URL / REDIS_URL set): a database
of its own (`<name>_selfreferral`, made again each run) with one service; gunicorn
and a Celery worker on it; the acknowledgements go to the Notify stand-in
(tests/notify_standin.py) on 127.0.0.1, through the real client. Arrivals are
open-loop: a new person starts every 60/rate seconds whatever the server's pace,
each on their own session, walking all 13 requests (the first question's page,
10 answers, the check page's submit, the confirmation). Every person comes from
127.0.0.1, so the per-address limits are raised for the run (each would count all
the people of a city behind one address); the per-form limit stays as deployed.
The minimum completion time is set to 0 (a person here takes under a second).
Checks: no error; every person's referral stored exactly once (a family name each);
every acknowledgement at the stand-in once. Prints p95 of the whole referral, of
each request, and of the reference page, and the load average before and after
(copy them into docs/benchmarks.md); exits 1 on any failed check."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import Client, free_port, percentile, recreate_database  # noqa: E402

SETTINGS = "iapt.settings.local"


def database_url() -> tuple[str, dict, str]:
    import urllib.parse

    import environ

    base = os.environ["DATABASE_URL"]
    config = environ.Env.db_url_config(base)
    name = config["NAME"] + "_selfreferral"
    parsed = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parsed._replace(path="/" + name)), config, name


def answers(n: int) -> list[tuple[str, dict]]:
    return [
        ("name", {"given_name": "Bench", "family_name": f"Person{n:06d}", "website": ""}),
        ("date-of-birth", {"day": "15", "month": "3", "year": "1984"}),
        ("nhs-number", {"nhs_number": ""}),
        (
            "address",
            {"address_line_1": f"{n} High Street", "address_line_2": "", "town": "Leeds", "postcode": "LS1 4AP"},
        ),
        ("gp", {"gp_practice_name": "Riverside Medical Centre"}),
        ("contact", {"mobile": "07700 900123", "phone": "", "email": "", "channels": ["sms", "letter"]}),
        ("problem", {"problem": "I have felt low and worried for months. " * 4, "duration": "lt1y"}),
        ("hopes", {"hopes": "Sleep better and go back to work."}),
        ("risk", {"thoughts": "yes" if n % 10 == 0 else "no", "plans": "no", "others": "no"}),
        ("about-you", {"gender": "2", "gender_description": "", "ethnicity": "A"}),
    ]


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests: list[float] = []
        self.referrals: list[float] = []
        self.reference: list[float] = []
        self.errors: list[str] = []
        self.done: list[str] = []

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def timed(results: Results, client: Client, path: str, data=None, expect=200) -> str | None:
    started = time.perf_counter()
    try:
        status, body = client.send(path, data)
    except OSError as exc:
        status, body = None, repr(exc)
    with results.lock:
        results.requests.append(time.perf_counter() - started)
    if status != expect:
        results.error(f"{path}: {status} {' '.join(body.split())[:160]}")
        return None
    return body


def person(n: int, base: str, results: Results) -> None:
    client = Client(base)
    started = time.perf_counter()
    if timed(results, client, "/self-referral/name/") is None:
        return
    for slug, data in answers(n):
        if timed(results, client, f"/self-referral/{slug}/", data, expect=302) is None:
            return
    if timed(results, client, "/self-referral/check/", {"email_confirm": ""}, expect=302) is None:
        return
    body = timed(results, client, "/self-referral/sent/")
    if body is None or "Your reference is" not in body:
        results.error(f"person {n}: no confirmation")
        return
    with results.lock:
        results.referrals.append(time.perf_counter() - started)
        results.done.append(f"Person{n:06d}")


def probe(base: str, results: Results, stop: threading.Event) -> None:
    """The reference: the urgent-help page (same NHS template, no database), once a second."""
    client = Client(base)
    while not stop.is_set():
        started = time.perf_counter()
        status, _ = client.send("/help/urgent/")
        with results.lock:
            results.reference.append(time.perf_counter() - started)
        if status != 200:
            results.error(f"/help/urgent/: {status}")
        stop.wait(1.0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=200, help="self-referrals a minute")
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="30 seconds instead of 5 minutes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    args = parser.parse_args(argv)
    seconds = 30 if args.quick else args.seconds
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("Run through `python -m iapt.devservices bench-selfreferral`.", file=sys.stderr)
        return 2
    from tests.notify_standin import NotifyStandIn

    notify = NotifyStandIn().start()
    url, config, name = database_url()
    recreate_database(config, name)
    os.environ.update(
        {
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": SETTINGS,
            "DJANGO_DEBUG": "false",
            "DEMO_ENABLED": "false",
            "NOTIFY_API_KEY": notify.api_key,
            "NOTIFY_BASE_URL": notify.base_url,
            "NOTIFY_SELF_REFERRAL_SMS_TEMPLATE_ID": "33333333-3333-4333-8333-333333333333",
            "SELF_REFERRAL_MIN_SECONDS": "0",
            "PUBLIC_REQUESTS_PER_ADDRESS_PER_MINUTE": "1000000",
            "SELF_REFERRAL_SUBMITS_PER_ADDRESS_PER_HOUR": "1000000",
        }
    )
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Service

    Service.objects.create(name="Bench Talking Therapies", provider="Bench NHS Trust", ods_code="BENCH1")
    cache.clear()  # rate-limit counters of an earlier run
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ}
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
    results = Results()
    load_before = os.getloadavg()
    try:
        import socket

        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        for _ in range(4 * args.workers):
            Client(base).send("/self-referral/")
        total = args.rate * seconds // 60
        print(f"{total} self-referrals at {args.rate} a minute for {seconds} s against {base} ...", flush=True)
        stop = threading.Event()
        probe_thread = threading.Thread(target=probe, args=(base, results, stop), daemon=True)
        probe_thread.start()
        interval = 60.0 / args.rate
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            for n in range(total):
                delay = started + n * interval - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                pool.submit(person, n, base, results)
        elapsed = time.monotonic() - started
        stop.set()
        probe_thread.join()
        # the worker's acknowledgements: wait for the stand-in to have them all (up to 60 s)
        deadline = time.monotonic() + 60
        while len(notify.sent("sms")) < len(results.done) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        server.terminate()
        worker.terminate()
        server.wait(timeout=30)
        worker.wait(timeout=30)
        notify.stop()
    load_after = os.getloadavg()
    from django.db.models import Count

    from selfreferral.models import SelfReferral

    stored = dict(
        SelfReferral.objects.values_list("family_name").annotate(n=Count("pk")).values_list("family_name", "n")
    )
    twice = [k for k, v in stored.items() if v != 1]
    missing = [k for k in results.done if k not in stored]
    urgent = SelfReferral.objects.filter(urgent=True).count()
    acknowledged = len(notify.sent("sms"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    figures = {
        "commit": commit.strip(),
        "people": total,
        "seconds": round(elapsed, 1),
        "rate_achieved_per_min": round(len(results.done) / elapsed * 60, 1),
        "stored": sum(stored.values()),
        "stored_twice": len(twice),
        "missing": len(missing),
        "urgent": urgent,
        "acknowledged": acknowledged,
        "errors": len(results.errors),
        "referral_p50_s": round(percentile(results.referrals, 50), 3) if results.referrals else None,
        "referral_p95_s": round(percentile(results.referrals, 95), 3) if results.referrals else None,
        "request_p95_ms": round(percentile(results.requests, 95) * 1000, 1) if results.requests else None,
        "reference_p95_ms": round(percentile(results.reference, 95) * 1000, 1) if results.reference else None,
        "load_before": tuple(round(x, 2) for x in load_before),
        "load_after": tuple(round(x, 2) for x in load_after),
        "workers": args.workers,
    }
    if figures["request_p95_ms"] and figures["reference_p95_ms"]:
        figures["request_to_reference_p95"] = round(figures["request_p95_ms"] / figures["reference_p95_ms"], 2)
    for line in results.errors[:10]:
        print("error:", line)
    for key, value in figures.items():
        print(f"{key}: {value}")
    ok = (
        not results.errors
        and not twice
        and not missing
        and figures["stored"] == len(results.done) == total
        and acknowledged == total
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
