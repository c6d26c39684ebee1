"""Benchmarks of issue 18 (appointments), as ratios against a reference
measured in the same run:

1. The national day's reminder sweep: 60,000 booked appointments due a
   reminder (among as many not yet due), the sweep selecting them and queueing
   the send tasks on Redis, against one hand-written SQL SELECT of the same
   (appointment, lead time, channel) rows. Target: within 1.5x.
2. A practitioner's week view with 40 appointments, the view itself (selector,
   audit, template), against the same template rendered with the same rows
   already in memory and no SQL. Target: within 2x.

    python -m iapt.devservices bench-appointments [appointments_due]

Run on the bench PostgreSQL and Redis (var/postgres-bench) in a fresh database
`iapt_bench_appointments`; prints the figures and writes bench/out/appointments.json.
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
DB = "iapt_bench_appointments"
PER_PRACTITIONER = 60  # due appointments per practitioner, 45 minutes apart over the next two days


def log(message: str) -> None:
    print(message, flush=True)


def median_of(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def generate(due: int) -> dict:
    from datetime import time as wall
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from accounts.models import Role, Service, User
    from appointments.models import Appointment, ReminderLeadTime, WorkingHours
    from patients.models import Patient, Referral

    service = Service.objects.create(name="Bench service", provider="Bench", ods_code="BENCH1")
    ReminderLeadTime.objects.bulk_create(
        [ReminderLeadTime(service=service, minutes_before=m) for m in (2 * 24 * 60, 120)]
    )
    practitioners = User.objects.bulk_create(
        [
            User(username=f"bench{n}", role=Role.PWP, service=service, first_name="Bench", last_name=f"P{n}")
            for n in range(max(1, due // PER_PRACTITIONER))
        ]
    )
    WorkingHours.objects.bulk_create(
        [
            WorkingHours(practitioner=p, weekday=d, start_time=wall(9), end_time=wall(17))
            for p in practitioners
            for d in range(5)
        ]
    )
    now = timezone.now().replace(second=0, microsecond=0)
    patients, referrals, appointments = [], [], []
    total = len(practitioners) * PER_PRACTITIONER * 2  # as many not yet due (days 3 to 6)
    for n in range(total):
        patients.append(
            Patient(
                service=service,
                nhs_number=f"{9000000000 + n}",
                given_name="Bench",
                family_name=f"Patient{n}",
                date_of_birth="1980-01-01",
                sex="2",
                mobile="07700900123" if n % 10 else "",
                email=f"p{n}@example.invalid",
                consent_sms_reminders=n % 10 != 1,
                consent_email_reminders=n % 10 in (0, 1) or n % 3 == 0,
            )
        )
    Patient.objects.bulk_create(patients, batch_size=5000)
    for n, patient in enumerate(patients):
        referrals.append(
            Referral(
                patient=patient,
                service=service,
                source="B1",
                received_on=now.date() - timedelta(days=30),
                status="in_treatment",
                current_step=2,
                assigned_practitioner=practitioners[n % len(practitioners)],
            )
        )
    Referral.objects.bulk_create(referrals, batch_size=5000)
    for n, referral in enumerate(referrals):
        slot = n // len(practitioners)
        if slot < PER_PRACTITIONER:  # due: within the two-day lead time
            starts = now + timedelta(minutes=30 + 45 * slot)
        else:  # not yet due
            starts = now + timedelta(days=3, minutes=45 * (slot - PER_PRACTITIONER))
        appointments.append(
            Appointment(
                referral=referral,
                practitioner=referral.assigned_practitioner,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                appointment_type="02",
                medium="02",
                created_by=referral.assigned_practitioner,
            )
        )
    Appointment.objects.bulk_create(appointments, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"now": now, "practitioners": len(practitioners), "appointments": len(appointments)}  # fmt: skip


REFERENCE_SQL = """
SELECT a.id, min(l.minutes_before), c.channel
FROM appointments_appointment a
JOIN patients_referral r ON r.id = a.referral_id
JOIN patients_patient p ON p.id = r.patient_id
JOIN appointments_reminderleadtime l ON l.service_id = r.service_id
CROSS JOIN (VALUES ('sms'), ('email')) AS c(channel)
LEFT JOIN appointments_reminder m
  ON m.appointment_id = a.id AND m.minutes_before = l.minutes_before AND m.channel = c.channel
WHERE a.status = 'booked' AND a.starts_at > %(now)s
  AND a.starts_at <= %(now)s + l.minutes_before * interval '1 minute'
  AND m.id IS NULL
  AND ((c.channel = 'sms' AND p.consent_sms_reminders AND p.mobile ~ '^07[0-9]{9}$')
    OR (c.channel = 'email' AND p.consent_email_reminders AND p.email LIKE '%%_@_%%._%%'))
GROUP BY a.id, c.channel
"""


def bench_sweep(now) -> dict:
    import redis
    from django.conf import settings
    from django.db import connection

    from appointments import reminders

    client = redis.Redis.from_url(settings.REDIS_URL)

    def reference():
        with connection.cursor() as cursor:
            cursor.execute(REFERENCE_SQL, {"now": now})
            return cursor.fetchall()

    def ours():
        client.delete("bench-reminders")
        return reminders.reminders_sweep(now=now, queue="bench-reminders")

    rows = reference()
    due_ids = {str(r[0]) for r in rows}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT due.id, due.minutes_before, due.channel FROM ({reminders.DUE_SQL.format(extra='')}) AS due",  # noqa: S608
            reminders._params(now),
        )
        ours_rows = cursor.fetchall()
    assert sorted((str(a), m, c) for a, m, c in ours_rows) == sorted((str(a), m, c) for a, m, c in rows), (
        "the sweep and the reference select different rows"
    )
    queued = ours()
    assert queued == len(due_ids), (queued, len(due_ids))
    messages = client.llen("bench-reminders")
    reference()  # warm both
    ours()
    ref_time = median_of(reference, 7)
    our_time = median_of(ours, 7)
    client.delete("bench-reminders")
    return {
        "due_rows": len(rows),
        "due_appointments": len(due_ids),
        "messages_queued": messages,
        "ours_s": round(our_time, 4),
        "reference_s": round(ref_time, 4),
        "ratio": round(our_time / ref_time, 2),
        "target": 1.5,
    }


def bench_week_view() -> dict:
    from datetime import time as wall
    from datetime import timedelta

    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.db import connection
    from django.shortcuts import render
    from django.test import RequestFactory
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import User
    from appointments import selectors, views
    from appointments.clock import london_instant
    from appointments.models import Appointment

    pwp = User.objects.filter(username__startswith="bench").order_by("id").first()
    monday = timezone.localdate() + timedelta(days=14)
    monday -= timedelta(days=monday.weekday())
    referrals = list(pwp.caseload.all()[:40])
    for n in range(40):
        day, slot = monday + timedelta(days=n % 5), n // 5
        starts = london_instant(day, wall(9 + slot // 2, 30 * (slot % 2)))
        Appointment.objects.create(referral=referrals[n % len(referrals)], practitioner=pwp, starts_at=starts,
                                   ends_at=starts + timedelta(minutes=30), appointment_type="02", medium="02",
                                   created_by=pwp)  # fmt: skip
    factory = RequestFactory()

    def request():
        req = factory.get("/appointments/diary/week/", {"day": monday.isoformat()})
        req.user = pwp
        req.session = SessionStore()
        req._messages = FallbackStorage(req)
        return req

    def ours():
        response = views.diary_week(request())
        assert response.status_code == 200
        return response

    days = selectors.diary_for_user(user=pwp, practitioner=pwp, start=monday, days=7)
    for d in days:  # every relation the template reads, loaded now
        for a in d.appointments:
            _ = a.referral.patient.family_name
    context = {"practitioner": pwp, "days": days, "week": True, "start": monday, "previous": monday - timedelta(days=7),
               "next": monday + timedelta(days=7), "other": ""}  # fmt: skip

    def reference():
        return render(request(), "appointments/diary.html", context)

    reference()
    with CaptureQueriesContext(connection) as queries:
        reference()
    assert len(queries) == 0, [q["sql"] for q in queries]
    with CaptureQueriesContext(connection) as queries:
        ours()
    ours_queries = len(queries)
    assert sum(len(d.appointments) for d in days) == 40
    if os.environ.get("BENCH_PROFILE"):
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.runcall(lambda: [ours() for _ in range(20)])
        pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
    ref_time = median_of(reference, 30)
    our_time = median_of(ours, 30)
    return {
        "appointments": 40,
        "queries": ours_queries,
        "ours_s": round(our_time, 4),
        "reference_s": round(ref_time, 4),
        "ratio": round(our_time / ref_time, 2),
        "target": 2.0,
    }


def measure(due: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iapt.settings.local")
    import django

    django.setup()
    started = time.perf_counter()
    generated = generate(due)
    log(f"generated {generated['appointments']:,} appointments for {generated['practitioners']} practitioners "
        f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    sweep = bench_sweep(generated["now"])
    log(f"[reminder sweep] {sweep}")
    week = bench_week_view()
    log(f"[week view] {week}")
    return {"due": due, "sweep": sweep, "week_view": week}


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--measure":
        result = measure(int(sys.argv[2]))
        out = BASE_DIR / "bench" / "out"
        out.mkdir(parents=True, exist_ok=True)
        (out / "appointments.json").write_text(json.dumps(result, indent=2, default=str))
        return 0
    due = int(sys.argv[1]) if len(sys.argv) > 1 else 60_000
    from bench.run import measure_on_fresh_database

    return measure_on_fresh_database(__file__, DB, str(due))


if __name__ == "__main__":
    raise SystemExit(main())
