"""Capacity at a provider's peak (issue 22): how many staff one small server
holds, with real think time and every role, against a bare authenticated view
measured in the same run.

    make load LOAD_ARGS="capacity --search"            # the search, figures into docs/benchmarks.md
    make load LOAD_ARGS="capacity --staff 100 --steady 60 --no-docs"
    make load LOAD_ARGS="capacity --diagnose"          # queries and plans per page, on the last run's data

One step of N staff (docs/decisions/024-capacity.md): the staff arrive evenly
over the ramp (N / --login-rate seconds) and log in once (the real login,
Argon2); once every login has been answered, with the same sessions:

- reference: for `--steady` seconds each makes exactly the requests their
  role's script makes, at the same moments, but every one of them a GET of
  the bare authenticated view (bench/urls.py `bench/shell/`: the site's shell
  through the whole middleware, no query of ours);
- real: the real pages, forms and saves: `--warmup` seconds, then `--steady`
  seconds measured. The step then stops by itself.

Staff by role, for N: supervisors ceil(N/10), referral administrators ceil(N/20),
service managers max(1, round(N/100)), the rest PWPs (420 of 500). Think time is
exponential (a person's next click is a Poisson arrival) with the means below;
a PWP opens a page about every 20 s and saves a session about every 5 minutes,
the session form posting its draft while they type as the browser does
(static/js/session_form.js).

A step passes when nothing failed in either phase (a status other than the one
the page gives a person), every save the server confirmed is in the database,
and p95 over every request of the real window is within 3x the reference's:
read literally (`--criterion shell`: over the bare view's p95 at the same load)
or, the default, relative to the light baseline step (`--criterion relative`:
the ratio at N over the ratio at `--baseline` staff, measured first in the same
run; the pages' own cost over the shell taken out, the queueing left). Both
verdicts are reported. `--search` starts at the target (500), climbs by half
while steps pass and bisects down when one fails, to `--resolution`.

The server is the production shape: gunicorn with the workers and threads
docker-compose.yml gives the web container, a Celery worker with its
concurrency, PostgreSQL and Redis, all on this machine with the client. The
client is one Python process of threads (a thread per member of staff, asleep
in think time); its own CPU is measured and reported, with the server's and
the database's, and the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import itertools
import json
import math
import os
import random
import re
import resource
import shlex
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import free_port, percentile, recreate_database  # noqa: E402

PASSWORD = "capacity-test-password-0123"  # noqa: S105 - a throwaway database's synthetic users
CASES_PER_PWP = 20
INCOMING = 100  # referrals waiting for allocation when the run starts
SETTINGS = "bench.settings_capacity"
ACCESS_LOG = ROOT / "var" / "capacity-access.log"
WORKER_SLOTS = [1]  # gunicorn workers x threads, set by main
REFERENCE_PATH = "/bench/shell/"
LOGIN_KINDS = ("login_page", "login")

# Means of the think times, seconds (exponential, clipped to [1 s, 5 x mean]).
PAGE_EVERY = 20.0  # a page read, the next click
SAVE_EVERY = 300.0  # a PWP's session saves
TYPING = 90.0  # filling the session form
DRAFT_EVERY = 10.0  # the form's draft autosave while typing (3 s when dirty, not always dirty)
DECIDE = 60.0  # a supervisor deciding a case, an administrator typing a registration
MANAGER_EVERY = 60.0  # a manager reading a report

LINK = {
    "uuid": re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"),
    "agenda_case": re.compile(r"/supervision/sessions/\d+/cases/[0-9a-f-]{36}/"),
    "allocate": re.compile(r"/referrals/([0-9a-f-]{36})/allocate/"),
    "practitioner": re.compile(r'name="practitioner"[^>]*value="(\d+)"'),
    "track": re.compile(r'name="track_decision"'),
}
HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


def hidden_fields(body: str, marker: str = "<form") -> dict:
    """The hidden inputs (CSRF and one-time tokens, filters) of the first form
    after `marker` in `body`; {} when there is none."""
    start = body.find(marker)
    if start < 0:
        return {}
    end = body.find("</form>", start)
    return dict(HIDDEN.findall(body[start : end if end > 0 else None]))


# ---------------------------------------------------------------- the data set


@dataclass
class Staff:
    username: str
    role: str
    pk: int
    cases: list[str] = field(default_factory=list)  # a PWP's open cases (referral ids)
    supervisees: list[int] = field(default_factory=list)


def mix(staff: int) -> dict[str, int]:
    """Staff per role for a step of `staff` people (the module docstring)."""
    supervisors = math.ceil(staff / 10)
    admins = math.ceil(staff / 20)
    managers = max(1, round(staff / 100))
    return {
        "pwp": max(1, staff - supervisors - admins - managers),
        "supervisor": supervisors,
        "referral_admin": admins,
        "manager": managers,
    }


def build_dataset(largest: int, seed: int) -> dict[str, list[Staff]]:
    """One service with staff for the largest step: each PWP a caseload of
    CASES_PER_PWP open cases at step 2 with a session each, eight PWPs to a
    supervisor, INCOMING referrals waiting; then the full flag sweep, so the
    supervisors' dashboards and agendas have their flags. Every user's password
    is the same Argon2 hash (one salt): logging in costs what it costs anyone."""
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, Service, SupervisionAssignment, Team, User
    from patients import nhs_number
    from patients.codes import ProblemDescriptor, ReferralSource, ReferralStatus
    from patients.models import Patient, Referral
    from sessions.services import RiskInput, therapy_session_record
    from supervision.sweep import sweep

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    service = Service.objects.create(name="Capacity test service", provider="Capacity test trust", ods_code="CAP1")
    Team.objects.create(service=service, name="Capacity team")
    hashed = make_password(PASSWORD)
    roles = {
        "pwp": Role.PWP,
        "supervisor": Role.SUPERVISOR,
        "referral_admin": Role.REFERRAL_ADMIN,
        "manager": Role.SERVICE_MANAGER,
    }
    users = User.objects.bulk_create(
        User(
            username=f"cap-{key}-{n}",
            first_name=key.title(),
            last_name=f"Staff {n}",
            role=role,
            service=service,
            password=hashed,
        )
        for key, role in roles.items()
        for n in range(mix(largest)[key])
    )
    pool = {key: [Staff(u.username, key, u.pk) for u in users if u.role == role] for key, role in roles.items()}
    for i, pwp in enumerate(pool["pwp"]):  # round the supervisors: every step's supervisors have supervisees
        supervisor = pool["supervisor"][i % len(pool["supervisor"])]
        supervisor.supervisees.append(pwp.pk)
    SupervisionAssignment.objects.bulk_create(
        SupervisionAssignment(supervisor_id=s.pk, supervisee_id=pk, started=today - timedelta(days=400))
        for s in pool["supervisor"]
        for pk in s.supervisees
    )
    numbers: set[str] = set()

    def patient(n: int, received) -> Patient:
        number = nhs_number.generate(rng)
        while number in numbers:
            number = nhs_number.generate(rng)
        numbers.add(number)
        return Patient(
            service=service,
            nhs_number=number,
            given_name="Capacity",
            family_name=f"Patient {n}",
            date_of_birth=received - timedelta(days=365 * rng.randrange(19, 80)),
            sex="2",
        )

    owners = [pwp for pwp in pool["pwp"] for _ in range(CASES_PER_PWP)] + [None] * INCOMING
    received = [today - timedelta(days=rng.randrange(100, 300)) for _ in owners]
    patients = Patient.objects.bulk_create(patient(n, received[n]) for n in range(len(owners)))
    referrals = Referral.objects.bulk_create(
        Referral(
            patient=p,
            service=service,
            source=ReferralSource.SELF,
            received_on=r,
            problem_descriptor=ProblemDescriptor.DEPRESSION,
            status=ReferralStatus.RECEIVED if owner is None else ReferralStatus.IN_TREATMENT,
            current_step=None if owner is None else 2,
            assigned_practitioner_id=None if owner is None else owner.pk,
            opened_at=None if owner is None else now - timedelta(days=rng.randrange(50, 90)),
            last_reviewed_at=None if owner is None else now - timedelta(days=rng.randrange(1, 40)),
        )
        for p, r, owner in zip(patients, received, owners, strict=True)
    )
    by_pk = {u.pk: u for u in users}
    for referral, owner in zip(referrals, owners, strict=True):
        if owner is None:
            continue
        owner.cases.append(str(referral.pk))
        # Some cases improve, some not: the flags (not on track, item 9) and the chart vary.
        phq = [rng.randrange(0, 4) for _ in range(8)] + [rng.choice((0, 0, 0, 0, 0, 0, 0, 1))]
        therapy_session_record(
            user=by_pk[owner.pk],
            referral=referral,
            started_at=now - timedelta(days=rng.randrange(1, 45), hours=rng.randrange(0, 8)),
            appointment_type="02",
            attendance="5",
            medium="02",
            measure_items={"PHQ9": phq, "GAD7": [rng.randrange(0, 4) for _ in range(7)]},
            risk_recorded=phq[8] > 0,
            risk=RiskInput("low", "none", "none", "low", plan="Safety plan agreed") if phq[8] else None,
            enqueue_followup=False,
        )
    sweep(full=True)
    return pool


def counts() -> dict[str, int]:
    """The rows each kind of save writes: compared before and after a phase."""
    from patients.models import Referral
    from sessions.models import TherapySession
    from supervision.models import CaseReview, SupervisionSession

    return {
        "session": TherapySession.objects.count(),
        "registration": Referral.objects.count(),
        "allocation": Referral.objects.filter(assigned_practitioner__isnull=False).count(),
        "supervision_session": SupervisionSession.objects.count(),
        "review": CaseReview.objects.count(),
    }


# ------------------------------------------------------------------ the client


class Stop(Exception):
    """The phase is over for this member of staff."""


@dataclass
class Sample:
    kind: str
    started: float  # monotonic
    elapsed: float  # seconds
    status: int | None


class Phase:
    """One phase of one step: every sample, every failure, every confirmed save."""

    def __init__(self, mode: str, base: str, ramp: float, steady: float, scale: float):
        self.mode, self.base, self.ramp, self.steady, self.scale = mode, base, ramp, steady, scale
        self.lock = threading.Lock()
        self.samples: list[Sample] = []
        self.failures: list[str] = []
        self.made: Counter = Counter()
        self.logged_in = 0
        # Set by the step when known: the reference phase's window opens once
        # every login of the ramp has been answered (their backlog is the ramp's).
        self.started = self.steady_from = self.deadline = math.inf

    def open_window(self, at: float) -> None:
        self.steady_from = at
        self.deadline = at + self.steady


class Browser:
    """One member of staff's browser: cookies, CSRF, no redirect followed (the
    script asks for the page a redirect names, as a browser would, timed apart)."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, phase: Phase, staff: Staff, rng: random.Random):
        self.phase, self.staff, self.rng = phase, staff, rng
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), self._NoRedirect())

    def _send(self, path: str, data: dict | None) -> tuple[int | None, str, str]:
        body = None
        if data is not None:
            token = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        url = self.phase.base + path
        request = urllib.request.Request(url, body, {"Referer": url})  # noqa: S310 - 127.0.0.1 only
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.read().decode(errors="replace"), response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")
        except OSError as exc:
            return None, repr(exc), ""

    def request(self, kind: str, path: str, data: dict | None = None, expect: tuple = (200,)) -> tuple[str, str]:
        """Times one request and returns (body, location); in the reference phase
        a GET of the bare view instead (login excepted), whose body is ''."""
        if time.monotonic() >= self.phase.deadline and kind not in LOGIN_KINDS:
            raise Stop
        reference = self.phase.mode == "reference" and kind not in LOGIN_KINDS
        if reference:
            path, data, expect = REFERENCE_PATH, None, (200,)
        started = time.monotonic()
        status, body, location = self._send(path, data)
        elapsed = time.monotonic() - started
        with self.phase.lock:
            self.phase.samples.append(Sample(kind, started, elapsed, status))
            if status not in expect:
                text = " ".join(re.sub(r"<[^>]+>", " ", body).split())[:160]
                self.phase.failures.append(f"{kind} {status}: {text}")
        if reference:
            return "", ""
        if status not in expect:
            raise Stop  # a person would stop here too; the failure is counted
        return body, location

    def save(self, what: str) -> None:
        if self.phase.mode == "real":
            with self.phase.lock:
                self.phase.made[what] += 1

    def think(self, mean: float) -> None:
        """Sleeps an exponential think time (clipped to [1 s, 5 x mean], scaled by
        --think-scale); Stop when the phase ends first."""
        pause = min(max(self.rng.expovariate(1 / mean), 1.0), 5 * mean) * self.phase.scale
        if time.monotonic() + pause >= self.phase.deadline:
            time.sleep(max(0.0, self.phase.deadline - time.monotonic()))
            raise Stop
        time.sleep(pause)


def login(b: Browser) -> str:
    b.request("login_page", "/login/")
    _, location = b.request("login", "/login/", {"username": b.staff.username, "password": PASSWORD}, expect=(302,))
    return location


def pwp_script(b: Browser) -> None:
    """Caseload and records a page about every PAGE_EVERY s; about every
    SAVE_EVERY s the session form: typed for TYPING s with its draft posted
    every DRAFT_EVERY s, saved, and the record it leads to read."""
    rng, cases = b.rng, b.staff.cases
    b.request("caseload", "/caseload/")
    next_save = time.monotonic() + rng.expovariate(1 / SAVE_EVERY) * b.phase.scale
    while True:
        b.think(PAGE_EVERY)
        case = rng.choice(cases)
        if time.monotonic() < next_save:
            if rng.random() < 0.35:
                b.request("caseload", "/caseload/")
            else:
                b.request("record", f"/referrals/{case}/record/")
            continue
        form = f"/referrals/{case}/sessions/new/"
        body, _ = b.request("session_form", form)
        typing_ends = time.monotonic() + min(max(rng.expovariate(1 / TYPING), 20), 5 * TYPING) * b.phase.scale
        items = {f"PHQ9_{i}": str(rng.randrange(0, 4)) for i in range(1, 9)}
        items |= {"PHQ9_9": "0", **{f"GAD7_{i}": str(rng.randrange(0, 4)) for i in range(1, 8)}}
        fields = {
            "started_at": time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - rng.randrange(600, 86400))),
            "appointment_type": "02",
            "attendance": "5",
            "medium": "02",
            "duration_minutes": "30",
            "notes": "Capacity test session: reviewed the activity diary and set the next step",
            "confirm_no_adsm": "on",
        }
        while time.monotonic() < typing_ends:
            b.think(DRAFT_EVERY)
            typed = dict(itertools.islice(items.items(), rng.randrange(1, len(items) + 1)))
            b.request("draft_save", f"/referrals/{case}/drafts/session/", {**fields, **typed})
        _, location = b.request(
            "save_session", form, {**fields, **items, **hidden_fields(body, 'id="session-form"')}, expect=(302,)
        )
        b.save("session")
        b.request("record", location or f"/referrals/{case}/record/")
        next_save = time.monotonic() + rng.expovariate(1 / SAVE_EVERY) * b.phase.scale


def supervisor_script(b: Browser) -> None:
    """The dashboard; supervision opened with one supervisee (the agenda); each
    of up to three cases on it read, decided for DECIDE s and reviewed
    ("continue"), a page about every PAGE_EVERY s."""
    rng = b.rng
    while True:
        body, _ = b.request("supervision_dashboard", "/supervision/")
        b.think(PAGE_EVERY)
        supervisee = rng.choice(b.staff.supervisees)
        marker = f'name="supervisee" value="{supervisee}"'
        start = body.find(marker)
        token = hidden_fields(body[body.rfind("<form", 0, start) :]) if start > 0 else {}
        _, location = b.request(
            "agenda_open", "/supervision/sessions/", {"supervisee": supervisee, **token}, expect=(302,)
        )
        b.save("supervision_session")
        agenda, _ = b.request("agenda", location or "/supervision/")
        links = list(dict.fromkeys(LINK["agenda_case"].findall(agenda)))[:3] or [None]
        for link in links:
            b.think(PAGE_EVERY)
            page, _ = b.request("case_review", link or "/supervision/")
            if link is None and b.phase.mode == "real":
                break  # nothing flagged for this supervisee: back to the dashboard
            b.think(DECIDE)
            data = {
                "decisions": "continue",
                "notes": "Capacity test review: continue with the plan",
                "next_review_on": (time.strftime("%Y-%m-%d", time.localtime(time.time() + 28 * 86400))),
                **hidden_fields(page, 'id="review-form"'),
            }
            if LINK["track"].search(page):
                data["track_decision"] = "other"
            _, location = b.request("review_save", link or "/supervision/", data, expect=(302,))
            b.save("review")
            b.request("agenda", location or "/supervision/")
        b.think(PAGE_EVERY)


_NUMBERS_LOCK = threading.Lock()
_NUMBERS: set[str] = set()


def _new_nhs_number(rng: random.Random) -> str:
    from patients import nhs_number

    with _NUMBERS_LOCK:
        number = nhs_number.generate(rng)
        while number in _NUMBERS:
            number = nhs_number.generate(rng)
        _NUMBERS.add(number)
    return number


def admin_script(b: Browser) -> None:
    """The incoming list; a referral registered (typed for DECIDE s), its
    patient page, the allocation form, allocated to a PWP at step 2; a page
    about every PAGE_EVERY s."""
    from patients.codes import ReferralSource

    rng = b.rng
    while True:
        b.request("incoming", "/referrals/incoming/")
        b.think(PAGE_EVERY)
        form, _ = b.request("register_form", "/referrals/register/")
        b.think(DECIDE)
        data = {
            "nhs_number": _new_nhs_number(rng),
            "given_name": "Capacity",
            "family_name": f"Registered {rng.randrange(10**6)}",
            "date_of_birth": f"{rng.randrange(1950, 2004)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}",
            "sex": "1",
            "ethnicity": "Z",
            "source": ReferralSource.SELF.value,
            "received_on": time.strftime("%Y-%m-%d"),
            "problem_descriptor": "F32",
            **hidden_fields(form, 'method="post"'),
        }
        _, location = b.request("register_save", "/referrals/register/", data, expect=(302,))
        b.save("registration")
        patient, _ = b.request("patient", location or "/referrals/incoming/")
        referral = next(iter(LINK["allocate"].findall(patient)), "00000000-0000-0000-0000-000000000000")
        b.think(PAGE_EVERY)
        allocate = f"/referrals/{referral}/allocate/"
        page, _ = b.request("allocate_form", allocate)
        practitioners = LINK["practitioner"].findall(page) or ["0"]
        b.think(PAGE_EVERY)
        b.request("allocate_save", allocate, {"practitioner": rng.choice(practitioners), "step": "2"}, expect=(302,))
        b.save("allocation")


def manager_script(b: Browser) -> None:
    """The service report about every MANAGER_EVERY s; once in the phase, a
    record-level CSV export (streamed, or as a background job followed to its
    file, as the page's script does)."""
    rng = b.rng
    exported = False
    while True:
        report, _ = b.request("report", "/reports/")
        b.think(MANAGER_EVERY)
        if exported or rng.random() < 0.5:
            continue
        exported = True
        data = {"format": "csv", **hidden_fields(report, 'id="export-form"')}
        body, location = b.request("export", "/reports/export/", data, expect=(200, 302))
        if b.phase.mode == "real" and not location.startswith("/reports/exports/"):
            continue  # streamed at once (200)
        b.request("export_job", location or "/reports/")
        for _ in range(60):
            b.think(2.0)
            status, _ = b.request("export_status", (location or "/reports/") + "status/")
            if b.phase.mode == "reference" or '"done"' in status or '"failed"' in status:
                break
        b.request("export_download", (location or "/reports/") + "download/")


SCRIPTS = {
    "pwp": pwp_script,
    "supervisor": supervisor_script,
    "referral_admin": admin_script,
    "manager": manager_script,
}


def run_member(phases: list[Phase], staff: Staff, arrival: float, seed: int) -> None:
    """One member of staff for a whole step: arrives `arrival` s into the ramp,
    logs in once (the first phase's ramp), then follows the role's script in
    each phase in turn with the same session, each time after a pause of a
    random part of a page's think time (so a phase does not start in step)."""
    rng = random.Random(seed)
    b = Browser(phases[0], staff, rng)
    time.sleep(max(0.0, phases[0].started + arrival - time.monotonic()))
    for n, phase in enumerate(phases):
        b.phase = phase
        try:
            if n == 0:
                try:
                    login(b)
                finally:
                    with phase.lock:
                        phase.logged_in += 1
            else:
                time.sleep(max(0.0, phase.started - time.monotonic()) + rng.uniform(0, PAGE_EVERY) * phase.scale)
            SCRIPTS[staff.role](b)
        except Stop:
            pass
        except Exception as exc:  # noqa: BLE001 - a script bug must show in the report, not stop the run quietly
            with phase.lock:
                phase.failures.append(f"{staff.role} script: {exc!r}")
        while time.monotonic() < phase.deadline:  # inf until the step sets it
            time.sleep(0.5)


# ------------------------------------------------------------ measurement aids


def _cpu_seconds(processes) -> float:
    import psutil

    total = 0.0
    for p in processes:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            continue
    return total


def _family(pid: int):
    import psutil

    try:
        parent = psutil.Process(pid)
        return [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return []


def _postgres_pid() -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    import psutil

    try:
        return psutil.Process(backend).ppid()
    except psutil.Error:
        return None


def ramp_for(staff: int, args) -> float:
    """The ramp, seconds: --ramp, or staff arriving at --login-rate a second."""
    return args.ramp if args.ramp is not None else max(10.0, staff / args.login_rate)


def measure_window(phase: Phase, pids: dict[str, int | None]) -> tuple[dict, tuple, tuple]:
    """Sleeps through the phase's steady window and returns the CPU used in it,
    cores: the client (this process), gunicorn, the database, the worker, the
    whole machine; and the load average before and after."""
    import psutil

    time.sleep(max(0.0, phase.steady_from - time.monotonic()))
    load_before = os.getloadavg()
    families = {name: _family(pid) if pid else [] for name, pid in pids.items()}
    cpu0 = {name: _cpu_seconds(f) for name, f in families.items()}
    self0 = resource.getrusage(resource.RUSAGE_SELF)
    machine0 = psutil.cpu_times()
    log = ACCESS_LOG.stat().st_size if ACCESS_LOG.exists() else 0
    time.sleep(max(0.0, phase.deadline - time.monotonic()))
    window = time.monotonic() - phase.steady_from
    self1 = resource.getrusage(resource.RUSAGE_SELF)
    machine1 = psutil.cpu_times()
    families = {name: _family(pid) if pid else [] for name, pid in pids.items()}  # workers may have come since
    cpu = {name: (_cpu_seconds(f) - cpu0[name]) / window for name, f in families.items()}
    cpu["client"] = (self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime) / window
    busy = sum(getattr(machine1, k) - getattr(machine0, k) for k in ("user", "system", "nice", "irq", "softirq"))
    cpu["machine"] = busy / window
    if ACCESS_LOG.exists():
        # Worker saturation: the time gunicorn's workers spent on requests that
        # ended in the window (the access log's %(D)s, microseconds) over the
        # time the workers had (workers x threads x window).
        with ACCESS_LOG.open("rb") as f:
            f.seek(log)
            served = sum(int(line) for line in f.read().split() if line.isdigit())
        cpu["workers_busy"] = served / 1e6 / (window * WORKER_SLOTS[0])
    return cpu, load_before, os.getloadavg()


def run_phases(members: list[Staff], args, base: str, pids: dict[str, int | None]) -> dict:
    """One step: staff arrive evenly over the ramp and log in, then follow their
    scripts against the bare view (the reference phase: the ramp, then `steady`
    seconds measured), then the real pages (`warmup` seconds, then `steady`
    measured), with the same sessions. Returns both phases' reports."""
    from django.db import connection

    connection.close()
    ramp = ramp_for(len(members), args)
    reference = Phase("reference", base, ramp, args.steady, args.think_scale)
    real = Phase("real", base, args.warmup, args.steady, args.think_scale)
    before = counts()
    order = list(range(len(members)))
    random.Random(args.seed).shuffle(order)  # roles arrive mixed
    threads = [
        threading.Thread(
            target=run_member,
            args=([reference, real], members[i], ramp * k / len(members), args.seed * 100003 + i),
            daemon=True,
        )
        for k, i in enumerate(order)
    ]
    reference.started = time.monotonic()
    for thread in threads:
        thread.start()
    time.sleep(ramp)
    while reference.logged_in < len(members):
        time.sleep(0.2)
    reference.open_window(time.monotonic() + 5.0)
    real.started = reference.deadline
    real.open_window(real.started + real.ramp)
    out = {}
    for phase in (reference, real):
        out[phase.mode] = measure_window(phase, pids)
    for thread in threads:
        thread.join(150)
    stragglers = sum(t.is_alive() for t in threads)
    time.sleep(1.0)  # the last saves' transactions have committed before the count
    after = counts()
    found = {k: after[k] - before[k] for k in after}
    return {
        phase.mode: {
            "ramp": phase.ramp,
            "logins_done_after": round(reference.steady_from - 5.0 - reference.started, 1),
            **report(phase, found, *out[phase.mode], stragglers),
        }
        for phase in (reference, real)
    }


def summarise(samples: list[Sample], since: float) -> dict:
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for s in samples:
        if s.kind in LOGIN_KINDS or s.started >= since:
            by_kind[s.kind].append(s)
    steady = [s for s in samples if s.started >= since and s.kind not in LOGIN_KINDS]
    rows = {}
    for kind, group in sorted(by_kind.items()) + [("all requests", steady)]:
        if not group:
            continue
        times = [s.elapsed for s in group]
        rows[kind] = {
            "requests": len(group),
            "p50_ms": round(1000 * percentile(times, 50), 1),
            "p95_ms": round(1000 * percentile(times, 95), 1),
            "p99_ms": round(1000 * percentile(times, 99), 1),
            "statuses": dict(Counter(str(s.status) for s in group)),
        }
    return rows


def report(phase: Phase, found: dict, cpu: dict, load_before, load_after, stragglers: int) -> dict:
    made = dict(phase.made)
    return {
        "mode": phase.mode,
        "kinds": summarise(phase.samples, phase.steady_from),
        "requests_per_second": round(sum(1 for s in phase.samples if s.started >= phase.steady_from) / phase.steady, 2),
        "failures": len(phase.failures),
        "failure_examples": phase.failures[:10],
        "saves_made": made,
        "saves_found": {k: found[k] for k in made} if phase.mode == "real" else {},
        "cpu_cores": {k: round(v, 2) for k, v in cpu.items()},
        "load_average": [round(x, 2) for x in (*load_before, *load_after)],
        "unfinished_members": stragglers,
    }


def p95_ratio(step: dict) -> float | None:
    ref = step["reference"]["kinds"].get("all requests", {}).get("p95_ms")
    real = step["real"]["kinds"].get("all requests", {}).get("p95_ms")
    return round(real / ref, 2) if ref and real else None


def verdict(step: dict, limit: float, baseline: float | None, criterion: str) -> dict:
    """Two readings of "p95 within 3x the reference's", both from this run:
    `shell`, the issue's words: the page mix's p95 over the bare view's p95 at
    the same load; `relative`: that ratio at most `limit` times what it is at
    the light baseline step (the pages' own cost over the shell, which no
    server size changes, taken out: what is left is queueing). The search goes
    by `criterion`; no failure and every confirmed save found, in both."""
    ref = step["reference"]["kinds"].get("all requests", {}).get("p95_ms")
    ratio = p95_ratio(step)
    saves_ok = step["real"]["saves_made"] == step["real"]["saves_found"]
    failed = step["reference"]["failures"] + step["real"]["failures"]
    clean = not failed and saves_ok and step["real"]["unfinished_members"] == 0
    shell = bool(ratio is not None and ratio <= limit and clean)
    slowdown = round(ratio / baseline, 2) if ratio is not None and baseline else None
    relative = bool(slowdown is not None and slowdown <= limit and clean)
    ratios = {
        kind: round(row["p95_ms"] / ref, 1)
        for kind, row in step["real"]["kinds"].items()
        if ref and kind not in LOGIN_KINDS and kind != "all requests"
    }
    return {
        "p95_ratio": ratio,
        "slowdown": slowdown,
        "passes_shell": shell,
        "passes_relative": relative,
        "passes": shell if criterion == "shell" else relative,
        "failures": failed,
        "saves_match": saves_ok,
        "p95_ratio_by_kind": dict(sorted(ratios.items(), key=lambda kv: -kv[1])),
    }


def run_step(staff: int, pool: dict[str, list[Staff]], args, base: str, pids, baseline: float | None) -> dict:
    members = [member for role, n in mix(staff).items() for member in pool[role][:n]]
    print(f"step {staff} staff {mix(staff)}: ramp {ramp_for(staff, args):.0f} s, reference, real ...", flush=True)
    step = {"staff": staff, "mix": mix(staff), **run_phases(members, args, base, pids)}
    step["verdict"] = verdict(step, args.limit, baseline, args.criterion)
    v = step["verdict"]
    print(
        f"step {staff}: p95 real {step['real']['kinds'].get('all requests', {}).get('p95_ms')} ms, reference "
        f"{step['reference']['kinds'].get('all requests', {}).get('p95_ms')} ms, ratio {v['p95_ratio']} "
        f"(slowdown over the baseline {v['slowdown']}), "
        f"failures {v['failures']}, saves match {v['saves_match']}: {'PASS' if v['passes'] else 'FAIL'}; "
        f"cpu {step['real']['cpu_cores']}",
        flush=True,
    )
    return step


def search_steps(args):
    """Yields staff counts to try; told each result through send(). From the
    target: up by half while steps pass, then bisect between the last pass and
    the first failure to `resolution`; at most `max_steps`."""
    passed, failed = 0, None
    staff = args.staff
    for _ in range(args.max_steps):
        ok = yield staff
        if ok:
            passed = staff
        else:
            failed = staff
        if failed is None:
            staff = int(staff * 1.5)
        else:
            if failed - passed <= args.resolution:
                return
            staff = max(25, round((passed + failed) / 50) * 25)  # a multiple of 25 between them


# --------------------------------------------------------------- diagnostics


def query_counts(pool: dict[str, list[Staff]], repeats: int = 5) -> dict:
    """Per request kind, in this process through Django's test client against
    the run's database: the queries one request makes, its median time over
    `repeats` (ms), the SQL's share, and the slowest statement with its plan's
    execution time (EXPLAIN ANALYZE): what a page costs, beside its time in the run."""
    import statistics

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from patients.models import Referral
    from supervision.models import Flag

    out = {}
    pwp, supervisor, admin, manager = (pool[r][0] for r in ("pwp", "supervisor", "referral_admin", "manager"))
    case = pwp.cases[0]
    flagged = Flag.objects.filter(referral__assigned_practitioner_id__in=supervisor.supervisees).first()
    waiting = Referral.objects.filter(assigned_practitioner__isnull=True).first()
    pages = [
        (pwp, "caseload", "/caseload/"),
        (pwp, "record", f"/referrals/{case}/record/"),
        (pwp, "session_form", f"/referrals/{case}/sessions/new/"),
        (supervisor, "supervision_dashboard", "/supervision/"),
        (supervisor, "case_review", f"/supervision/cases/{flagged.referral_id}/review/" if flagged else None),
        (admin, "incoming", "/referrals/incoming/"),
        (admin, "register_form", "/referrals/register/"),
        (admin, "allocate_form", f"/referrals/{waiting.pk}/allocate/" if waiting else None),
        (manager, "report", "/reports/"),
        (pwp, "reference", REFERENCE_PATH),
    ]
    for staff, kind, path in pages:
        if path is None:
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.login(username=staff.username, password=PASSWORD)
        client.get(path)  # warm: the first request of a session loads what later ones find cached
        times = []
        for _ in range(repeats):
            with CaptureQueriesContext(connection) as ctx:
                started = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - started)
        captured = ctx.captured_queries
        slowest = max(captured, key=lambda q: float(q.get("time") or 0), default=None)
        row = {
            "status": response.status_code,
            "queries": len(captured),
            "ms": round(1000 * statistics.median(times), 1),
            "sql_ms": round(1000 * sum(float(q.get("time") or 0) for q in captured), 1),
        }
        if slowest is not None and slowest["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + slowest["sql"])
                plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            row["slowest_sql_ms"] = round(plan["Execution Time"], 2)
            row["slowest_plan_top"] = plan["Plan"]["Node Type"]
            row["slowest_sql"] = " ".join(slowest["sql"].split())[:160]
        out[kind] = row
    return out


def pool_from_database() -> dict[str, list[Staff]]:
    """The staff of the last run's database (for --diagnose)."""
    from accounts.models import SupervisionAssignment, User
    from patients.models import Referral

    pool: dict[str, list[Staff]] = {k: [] for k in ("pwp", "supervisor", "referral_admin", "manager")}
    for user in User.objects.filter(username__startswith="cap-").order_by("pk"):
        key = user.username.removeprefix("cap-").rsplit("-", 1)[0]
        pool[key].append(Staff(user.username, key, user.pk))
    by_pk = {s.pk: s for group in pool.values() for s in group}
    for referral_id, owner in Referral.objects.filter(assigned_practitioner__in=list(by_pk)).values_list(
        "pk", "assigned_practitioner"
    ):
        by_pk[owner].cases.append(str(referral_id))
    for supervisor, supervisee in SupervisionAssignment.objects.values_list("supervisor", "supervisee"):
        if supervisor in by_pk:
            by_pk[supervisor].supervisees.append(supervisee)
    return pool


# ----------------------------------------------------------------- the report


def commit() -> str:
    try:
        return subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True).strip()  # noqa: S607
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markdown(result: dict) -> str:
    meta = result["meta"]
    steps = result["steps"]
    lines = [
        "## Capacity (issue 22)",
        "",
        f"Command: `{meta['command']}` ({meta['date']}, commit {meta['commit']}, load average "
        f"{meta['load_average_start']} at the start and {meta['load_average_end']} at the end; "
        f"{meta['cpus']} cores shared with other engineers' test runs).",
        "",
        f"Server: gunicorn `{meta['gunicorn']}` (docker-compose.yml's web), a Celery worker "
        f"(`--concurrency={meta['celery_concurrency']}`), embedded PostgreSQL and Redis, `DEBUG` off, Argon2 "
        f"passwords; the client on the same machine. Each step: staff arrive over the ramp ({meta['ramp']}) and "
        f"log in once; then every request their scripts make goes to the bare authenticated view for "
        f"{meta['steady']:g} s (the reference), then to the real pages: {meta['warmup']:g} s of warm-up and "
        f"{meta['steady']:g} s measured; the same sessions throughout; think time scale {meta['think_scale']:g}. "
        f"Baseline step: {meta['baseline']} staff; slowdown = the step's ratio over the baseline's "
        f"({meta.get('baseline_ratio')}).",
        "",
        "| staff (PWP/sup/admin/mgr) | ramp s (logins done) | requests/s "
        "| reference p95 ms | real p95 ms | ratio | slowdown "
        "| failures | saves made = found | client CPU | gunicorn CPU | PostgreSQL CPU | Celery CPU | machine CPU "
        "| workers busy | load avg | shell 3x | relative 3x |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|",
    ]
    for s in ([result["baseline"]] if result.get("baseline") else []) + steps:
        m = s["mix"]
        cpu = s["real"]["cpu_cores"]
        lines.append(
            f"| {s['staff']} ({m['pwp']}/{m['supervisor']}/{m['referral_admin']}/{m['manager']}) "
            f"| {s['reference']['ramp']:.0f} ({s['reference']['logins_done_after']:.0f}) "
            f"| {s['real']['requests_per_second']} "
            f"| {s['reference']['kinds'].get('all requests', {}).get('p95_ms')} "
            f"| {s['real']['kinds'].get('all requests', {}).get('p95_ms')} | {s['verdict']['p95_ratio']} "
            f"| {s['verdict']['slowdown'] if s['verdict']['slowdown'] is not None else 'baseline'} "
            f"| {s['verdict']['failures']} | {'yes' if s['verdict']['saves_match'] else 'NO'} "
            f"{sum(s['real']['saves_made'].values())} "
            f"| {cpu.get('client')} | {cpu.get('gunicorn')} | {cpu.get('postgres')} | {cpu.get('celery')} "
            f"| {cpu.get('machine')} | {cpu.get('workers_busy', '')} "
            f"| {s['real']['load_average'][0]}-{s['real']['load_average'][3]} "
            f"| {'pass' if s['verdict']['passes_shell'] else 'fail'} "
            f"| {'pass' if s['verdict']['passes_relative'] else 'fail' if s['verdict']['slowdown'] else ''} |"
        )
    lines += [
        "",
        f"**Capacity found ({meta['criterion']} criterion): {result['capacity']} staff**; by the shell criterion "
        f"{result['capacity_shell']}, by the relative one {result['capacity_relative']} (no failure and every "
        "confirmed save in the database in both; docs/decisions/024-capacity.md says why two).",
        "",
    ]
    for s in steps[-1:] + [x for x in steps if x["staff"] == result["capacity"] and x is not steps[-1]]:
        lines += [
            f"Per request kind at {s['staff']} staff (steady state; log in over the ramp):",
            "",
            "| kind | requests | p50 ms | p95 ms | p99 ms | p95 / reference p95 | statuses |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        ratios = s["verdict"]["p95_ratio_by_kind"]
        logins = {k: v for k, v in s["reference"]["kinds"].items() if k in LOGIN_KINDS}
        for kind, row in {**logins, **s["real"]["kinds"]}.items():
            lines.append(
                f"| {kind} | {row['requests']} | {row['p50_ms']} | {row['p95_ms']} | {row['p99_ms']} "
                f"| {ratios.get(kind, '')} | {', '.join(f'{k}: {v}' for k, v in row['statuses'].items())} |"
            )
        ref = s["reference"]["kinds"].get("all requests", {})
        lines += [
            f"| reference (bare view) | {ref.get('requests')} | {ref.get('p50_ms')} | {ref.get('p95_ms')} "
            f"| {ref.get('p99_ms')} | 1 | |",
            "",
            f"Saves made {s['real']['saves_made']}, found in the database {s['real']['saves_found']}.",
            "",
        ]
    if result.get("queries"):
        lines += [
            "Queries per request kind (one request each, after the run):",
            "",
            "| kind | queries | SQL ms | ms in process |",
            "|---|---:|---:|---:|",
        ]
        for kind, q in result["queries"].items():
            lines.append(f"| {kind} | {q['queries']} | {q['sql_ms']} | {q['ms']} |")
        lines.append("")
    return "\n".join(lines) + "\n"


def write_docs(section: str) -> Path:
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    pattern = re.compile(r"^## Capacity \(issue 22\)\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text.rstrip("\n") + "\n")
    return path


# ------------------------------------------------------------------- main


def database_url() -> tuple[str, dict, str]:
    """A database of its own beside DATABASE_URL's (`<name>_capacity`), made again each run."""
    import environ

    base = os.environ["DATABASE_URL"]
    config = environ.Env.db_url_config(base)
    name = config["NAME"] + "_capacity"
    parsed = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parsed._replace(path="/" + name)), config, name


def compose_web() -> tuple[int, int, int, int]:
    """(workers, threads, timeout) of docker-compose.yml's web command, and the worker's concurrency."""
    text = (ROOT / "docker-compose.yml").read_text()
    web = re.search(r'command: \["gunicorn".*\]', text).group(0)
    workers = int(re.search(r'"--workers", "(\d+)"', web).group(1))
    threads = int(m.group(1)) if (m := re.search(r'"--threads", "(\d+)"', web)) else 1
    timeout = int(m.group(1)) if (m := re.search(r'"--timeout", "(\d+)"', web)) else 30
    concurrency = int(m.group(1)) if (m := re.search(r"--concurrency=(\d+)", text)) else 1
    return workers, threads, timeout, concurrency


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--staff", type=int, default=500, help="staff in the (first) step; the search's target")
    parser.add_argument("--search", action="store_true", help="find the largest passing number of staff")
    parser.add_argument("--ramp", type=float, help="seconds over which staff arrive and log in (default: by rate)")
    parser.add_argument("--login-rate", type=float, default=2.0, help="staff arriving a second when no --ramp")
    parser.add_argument("--baseline", type=int, default=20, help="staff in the light step measured first (0: none)")
    parser.add_argument("--criterion", choices=("relative", "shell"), default="relative")
    parser.add_argument("--steady", type=float, default=150.0, help="seconds of steady state measured")
    parser.add_argument("--warmup", type=float, default=30.0, help="seconds of real pages before the measured window")
    parser.add_argument("--think-scale", type=float, default=1.0, help="multiplies every think time (tests)")
    parser.add_argument("--limit", type=float, default=3.0, help="p95 limit as a multiple of the reference's")
    parser.add_argument("--resolution", type=int, default=50)
    parser.add_argument("--max-steps", type=int, default=5)
    parser.add_argument("--largest", type=int, default=0, help="staff to build for (default: what the search may need)")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--json", help="also write the whole result as JSON to this file")
    parser.add_argument("--no-docs", action="store_true", help="print the figures only")
    parser.add_argument("--no-queries", action="store_true", help="skip the per-kind query counts")
    parser.add_argument("--diagnose", action="store_true", help="query counts and plans only (last run)")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        print("Run through `make load LOAD_ARGS=capacity` or set DATABASE_URL and REDIS_URL.", file=sys.stderr)
        return 2
    url, config, name = database_url()
    os.environ.update(
        {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": SETTINGS, "DJANGO_DEBUG": "false", "DEMO_ENABLED": "false"}
    )
    if args.diagnose:
        import django

        django.setup()
        print(json.dumps(query_counts(pool_from_database()), indent=1))
        return 0
    recreate_database(config, name)
    largest = args.largest or (int(args.staff * 1.5 ** (args.max_steps - 1)) if args.search else args.staff)
    largest = min(largest, max(args.staff, 1000)) if args.search else largest
    print(f"building a service for {largest} staff {mix(largest)} in database {name} ...", flush=True)
    t0 = time.monotonic()
    pool = build_dataset(largest, args.seed)
    print(f"built in {time.monotonic() - t0:.0f} s", flush=True)
    workers, threads, timeout, concurrency = compose_web()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ACCESS_LOG.parent.mkdir(exist_ok=True)
    ACCESS_LOG.unlink(missing_ok=True)
    gunicorn = ["--workers", str(workers), "--threads", str(threads), "--timeout", str(timeout)]
    env = {**os.environ}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "iapt.wsgi:application", "--bind", f"127.0.0.1:{port}", *gunicorn]
        + ["--log-level", "warning", "--access-logfile", str(ACCESS_LOG), "--access-logformat", "%(D)s"],
        env=env,
        cwd=ROOT,
    )
    WORKER_SLOTS[0] = workers * threads
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "iapt", "worker", "--loglevel=WARNING", f"--concurrency={concurrency}"]
        + ["--without-heartbeat", "--without-mingle", "--without-gossip"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    result = {
        "meta": {
            "command": "make load LOAD_ARGS=" + shlex.quote("capacity " + " ".join(argv)),
            "date": time.strftime("%Y-%m-%d %H:%M %Z"),
            "commit": commit(),
            "cpus": os.cpu_count(),
            "load_average_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "gunicorn": " ".join(gunicorn),
            "celery_concurrency": concurrency,
            "ramp": args.ramp if args.ramp is not None else f"staff / {args.login_rate:g} s (at least 10 s)",
            "baseline": args.baseline,
            "criterion": args.criterion,
            "steady": args.steady,
            "warmup": args.warmup,
            "think_scale": args.think_scale,
            "limit": args.limit,
        },
        "steps": [],
    }
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        for _ in range(4 * workers):  # a server in use is warm: every worker has loaded the site
            urllib.request.urlopen(base + "/login/", timeout=60).read()  # noqa: S310 - 127.0.0.1
        pids = {"gunicorn": server.pid, "postgres": _postgres_pid(), "celery": worker.pid}
        baseline = None
        if args.baseline:
            result["baseline"] = run_step(args.baseline, pool, args, base, pids, None)
            baseline = result["meta"]["baseline_ratio"] = p95_ratio(result["baseline"])
        if args.search:
            steps = search_steps(args)
            staff = next(steps)
            while True:
                step = run_step(min(staff, largest), pool, args, base, pids, baseline)
                result["steps"].append(step)
                try:
                    staff = steps.send(step["verdict"]["passes"])
                except StopIteration:
                    break
        else:
            result["steps"].append(run_step(args.staff, pool, args, base, pids, baseline))
    finally:
        server.terminate()
        worker.terminate()
        server.wait(30)
        worker.wait(30)
    for name in ("shell", "relative"):
        passing = [s["staff"] for s in result["steps"] if s["verdict"][f"passes_{name}"]]
        result[f"capacity_{name}"] = max(passing) if passing else 0
    result["capacity"] = result[f"capacity_{args.criterion}"]
    result["meta"]["load_average_end"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    if not args.no_queries:
        result["queries"] = query_counts(pool)
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1))
    section = markdown(result)
    print(section)
    for step in result["steps"]:
        for phase in ("reference", "real"):
            for example in step[phase]["failure_examples"]:
                print(f"failure ({step['staff']} staff, {phase}): {example}")
    if not args.no_docs:
        print(f"written to {write_docs(section)}")
    return 0
