"""Benchmark of issue 20 item 3: the questionnaire page (a measure, for a link
whose date of birth was confirmed: the session read, the link read, the form
rendered) served within 2x a static page of the same template (the urgent-help
page: public/base.html, no database), both through the whole Django stack
(middleware, CSP, sessions) with the test client, measured in the same run.

    python -m iapt.devservices bench-questionnaires [runs]

Run on the bench PostgreSQL and Redis in a fresh database `iapt_bench_questionnaires`;
prints the figures and writes bench/out/questionnaires.json.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DB = "iapt_bench_questionnaires"


def median_of(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(runs: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")
    import django

    django.setup()
    from datetime import date, timedelta

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import Role, Service, User
    from appointments.models import Appointment
    from patients.codes import ReferralSource
    from patients.models import Patient, Referral
    from questionnaires import services
    from questionnaires.models import LinkKind

    service = Service.objects.create(name="Bench service", provider="Bench", ods_code="BENCHQ")
    pwp = User.objects.create(username="bench-pwp", role=Role.PWP, service=service)
    patient = Patient.objects.create(service=service, nhs_number="9434765919", given_name="Bench",
                                     family_name="Patient", date_of_birth=date(1980, 5, 17), mobile="07700900123",
                                     consent_sms_reminders=True)  # fmt: skip
    referral = Referral.objects.create(patient=patient, service=service, received_on=timezone.localdate(),
                                       source=ReferralSource.GP, problem_descriptor="F32",
                                       assigned_practitioner=pwp)  # fmt: skip
    starts = timezone.now() + timedelta(days=2)
    appointment = Appointment.objects.create(referral=referral, practitioner=pwp, starts_at=starts,
                                             ends_at=starts + timedelta(minutes=30), appointment_type="02",
                                             medium="02", created_by=pwp)  # fmt: skip
    _link, token = services.link_issue(appointment_id=appointment.pk, kind=LinkKind.BOOKED)
    client = Client(SERVER_NAME="127.0.0.1")
    opened = client.post(f"/q/{token}/", {"day": "17", "month": "5", "year": "1980"})
    assert opened.status_code == 302, opened.status_code

    def ours():
        response = client.get("/questionnaire/1/")
        assert response.status_code == 200 and b'type="radio"' in response.content
        return response

    def reference():
        response = client.get("/help/urgent/")
        assert response.status_code == 200
        return response

    with CaptureQueriesContext(connection) as queries:
        reference()
    reference_queries = len(queries)
    with CaptureQueriesContext(connection) as queries:
        ours()
    ours_queries = len(queries)
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(lambda: [ours() for _ in range(50)])
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
    for _ in range(20):  # warm both
        ours()
        reference()
    # interleaved, so the machine's load falls on both alike
    ours_times, ref_times = [], []
    for _ in range(runs):
        ref_times.append(median_of(reference, 5))
        ours_times.append(median_of(ours, 5))
    our_time, ref_time = statistics.median(ours_times), statistics.median(ref_times)
    return {
        "runs": runs,
        "queries": ours_queries,
        "reference_queries": reference_queries,
        "ours_s": round(our_time, 5),
        "reference_s": round(ref_time, 5),
        "ratio": round(our_time / ref_time, 2),
        "target": 2.0,
        "load_average": os.getloadavg(),
    }


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        result = measure(int(sys.argv[2]))
        print(json.dumps(result, indent=2), flush=True)
        out = BASE_DIR / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "questionnaires.json").write_text(json.dumps(result, indent=2, default=str))
        return 0
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    from bench.run import measure_on_fresh_database

    return measure_on_fresh_database(__file__, DB, str(runs))


if __name__ == "__main__":
    raise SystemExit(main())
