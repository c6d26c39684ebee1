"""Datasets for the report tests, written straight to the tables in bulk (the
session services validate and score one session at a time; these build
hundreds of referrals at once). Every measure gets real items that score to
the wanted total through sessions.measures.score, so the rows are what the
product would have stored."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Role
from patients import nhs_number
from patients.codes import PresentingProblemType, ProblemDescriptor, ReferralSource
from patients.models import Patient, PresentingProblem, Referral
from reports.outcomes import Contact, ScorePoint, referral_outcome
from sessions import measures
from sessions.codes import ATTENDED, TREATMENT_APPOINTMENT_TYPES
from sessions.models import MeasureScore, TherapySession
from tests.factories import UserFactory

_numbers = random.Random(20261124)


def items_for(code: str, total) -> list[int]:
    """Items of an instrument that score exactly `total` (a mean for MI)."""
    instrument = measures.INSTRUMENTS[code]
    n, lo, hi = instrument.item_count, instrument.item_min, instrument.item_max
    if instrument.scoring == "mean":
        candidates = [s for s in range(n * lo, n * hi + 1) if round(s / n, 2) == round(float(total), 2)]
        assert candidates, f"{code} cannot score {total}"
        target = candidates[0]
    else:
        target = int(total)
    items = [lo] * n
    remaining = target - n * lo
    for i in range(n):
        step = min(hi - lo, remaining)
        items[i] += step
        remaining -= step
    assert remaining == 0, f"{code} cannot score {total}"
    result = measures.score(code, items)
    assert float(result.total) == float(total), (code, total, result.total)
    return items


@dataclass
class Visit:
    """A care contact and the measures taken at it (instrument -> total; None
    for an incomplete measure)."""

    day: int  # days after the referral was received
    appointment_type: str = "02"
    attendance: str = "5"
    scores: dict = field(default_factory=dict)
    hour: int = 10
    minute: int = 0
    step: int | None = 2


@dataclass
class Case:
    received_on: date
    descriptor: str = "F32"
    status: str = "ended"
    ended_on: date | None = None
    end_code: str = "46"
    visits: list[Visit] = field(default_factory=list)
    source: str = ReferralSource.GP
    sex: str = "2"
    ethnicity: str = "A"
    date_of_birth: date = date(1980, 5, 17)
    given_name: str = "Alex"
    family_name: str = "Testwood"
    team: object = None
    label: str = ""
    # Earlier primary problems and secondary ones (IDS603), as (type, code, day
    # after referral); `descriptor` is the latest primary, dated the day received.
    problems: list[tuple[str, str, int]] = field(default_factory=list)

    def contacts(self, sessions) -> list[Contact]:
        return [Contact(s.started_at, s.appointment_type, s.attendance) for s in sessions]


def _at(day: date, hour: int, minute: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def build(*, service, cases: list[Case], practitioner=None) -> list[Referral]:
    """Writes the cases (patients, referrals, sessions, measures) in bulk; the
    referrals come back in the cases' order, each with .case set."""
    practitioner = practitioner or UserFactory(service=service, role=Role.PWP)
    patients = []
    for case in cases:
        patients.append(
            Patient(
                service=service,
                nhs_number=_unique_number(),
                given_name=case.given_name,
                family_name=case.family_name,
                date_of_birth=case.date_of_birth,
                sex=case.sex,
                ethnicity=case.ethnicity,
                phone="07700 900123",
                email="someone@example.invalid",
            )
        )
    Patient.objects.bulk_create(patients)
    referrals = []
    for case, patient in zip(cases, patients, strict=True):
        ended = case.status == "ended"
        referrals.append(
            Referral(
                patient=patient,
                service=service,
                team=case.team,
                source=case.source,
                received_on=case.received_on,
                problem_descriptor=case.descriptor,
                status=case.status,
                current_step=2,
                assigned_practitioner=practitioner,
                ended_on=case.ended_on if ended else None,
                end_code=case.end_code if ended else "",
                opened_at=_at(case.received_on, 9, 0),
            )
        )
    Referral.objects.bulk_create(referrals)
    problems = []
    for case, referral in zip(cases, referrals, strict=True):
        rows = list(case.problems)
        primaries = [row for row in rows if row[0] == PresentingProblemType.PRIMARY]
        if case.descriptor and not primaries:
            rows.append((PresentingProblemType.PRIMARY, case.descriptor, 0))
        for kind, code, day in rows:
            problems.append(
                PresentingProblem(
                    referral=referral, kind=kind, code=code, recorded_on=case.received_on + timedelta(days=day)
                )
            )
    PresentingProblem.objects.bulk_create(problems)
    sessions, visits = [], []
    for case, referral in zip(cases, referrals, strict=True):
        referral.case = case
        taken = set()
        for visit in case.visits:
            started_at = _at(case.received_on + timedelta(days=visit.day), visit.hour, visit.minute)
            # One contact per referral, time and type (session_unique_contact): generated
            # visits of one type on one day take the next free minute.
            while (started_at, visit.appointment_type) in taken:
                started_at += timedelta(minutes=1)
            taken.add((started_at, visit.appointment_type))
            sessions.append(
                TherapySession(
                    referral=referral,
                    practitioner=practitioner,
                    created_by=practitioner,
                    started_at=started_at,
                    appointment_type=visit.appointment_type,
                    attendance=visit.attendance,
                    medium="02",
                    step=visit.step,
                )
            )
            visits.append(visit)
    TherapySession.objects.bulk_create(sessions)
    scores = []
    for session, visit in zip(sessions, visits, strict=True):
        for code, total in visit.scores.items():
            instrument = measures.INSTRUMENTS[code]
            if total is None:  # incomplete: the last item missing, no total
                items = [instrument.item_min] * (instrument.item_count - 1) + [None]
                scores.append(_score(session, code, items, None, None, complete=False))
                continue
            items = items_for(code, total)
            result = measures.score(code, items)
            scores.append(_score(session, code, items, result.total, result, complete=True))
    MeasureScore.objects.bulk_create(scores)
    return referrals


def _score(session, code, items, total, result, *, complete):
    return MeasureScore(
        session=session,
        referral=session.referral,
        taken_at=session.started_at,
        instrument=code,
        items=items,
        total=Decimal(str(total)) if total is not None else None,
        band=(result.band or "") if result else "",
        caseness=result.caseness if result else None,
        complete=complete,
        reference_version=measures.REFERENCE_VERSION,
    )


_used_numbers: set[str] = set()


def _unique_number() -> str:
    number = nhs_number.generate(_numbers)
    while number in _used_numbers:
        number = nhs_number.generate(_numbers)
    _used_numbers.add(number)
    return number


def pure_outcome(referral: Referral):
    """The specification's verdict on a referral, from its stored sessions and scores."""
    sessions = list(referral.sessions.order_by("started_at", "pk"))
    contacts = [Contact(s.started_at, s.appointment_type, s.attendance) for s in sessions]
    points = [
        ScorePoint(m.taken_at, m.instrument, float(m.total))
        for m in referral.measure_scores.filter(complete=True).order_by("taken_at", "pk")
    ]
    return referral_outcome(problem_descriptor=referral.problem_descriptor, contacts=contacts, points=points)


def treatment_days(referral: Referral) -> list[date]:
    return sorted(
        timezone.localtime(s.started_at).date()
        for s in referral.sessions.all()
        if s.attendance in ATTENDED and s.appointment_type in TREATMENT_APPOINTMENT_TYPES
    )


# --- random varied datasets ---------------------------------------------------

DESCRIPTORS = [*ProblemDescriptor.values, ""]
ALL_TYPES = ["01", "02", "03", "04", "05", "06"]
ALL_ATTENDANCE = ["5", "5", "5", "6", "7", "3", "2", "4"]
END_CODES = ["46", "47", "48", "49", "10", "11", "12", "13", "14", "16", "17", "50", "95", "96"]


MI_VALUES = sorted({round(n / 27, 2) for n in range(27, 136)})


def _total_near(rng: random.Random, code: str):
    """A total, often at or beside the instrument's cut-off."""
    instrument = measures.INSTRUMENTS[code]
    top = instrument.max_total
    if instrument.scoring == "mean":  # the Mobility Inventory: 2.30 is not above its cut-off of 2.3
        return rng.choice([2.26, 2.3, 2.33, round(rng.randrange(27, 136) / 27, 2)])
    cut = int(instrument.cutoff)
    return rng.choice([cut - 1, cut, cut + 1, rng.randint(0, int(top)), rng.randint(0, int(top))])


def _next_total(rng: random.Random, code: str, first):
    """A later total, often changed by exactly the reliable change (or one less)."""
    instrument = measures.INSTRUMENTS[code]
    if instrument.scoring == "mean":  # means of 27 items: the nearest to a change of 0.73 either way
        near = [v for v in MI_VALUES if abs(abs(v - first) - 0.73) < 0.03]
        return rng.choice(near or MI_VALUES) if rng.random() < 0.7 else rng.choice(MI_VALUES)
    rc = int(instrument.reliable_change)
    candidate = rng.choice([first - rc, first - rc + 1, first + rc, first + rc - 1, first, None])
    if candidate is None or not 0 <= candidate <= instrument.max_total:
        return _total_near(rng, code)
    return candidate


def random_cases(rng: random.Random, *, n: int, period: tuple[date, date]) -> list[Case]:
    start, end = period
    cases = []
    for _ in range(n):
        descriptor = rng.choice(DESCRIPTORS)
        received = start + timedelta(days=rng.randint(-200, (end - start).days + 20))
        visits = []
        day = 0
        scored = {}
        adsm = measures.anxiety_instrument_for(descriptor) if descriptor else "GAD7"
        mild = rng.random() < 0.4  # PHQ-9 starts below caseness: the anxiety measure decides
        for _k in range(rng.choice([0, 1, 2, 2, 3, 4, 5, 6, 8])):
            day += rng.choice([0, 3, 7, 7, 14, 28, 40])
            appointment_type = rng.choice(ALL_TYPES)
            attendance = rng.choice(ALL_ATTENDANCE)
            scores = {}
            if attendance in ATTENDED:
                codes = ["PHQ9"] * (rng.random() < 0.85) + ["GAD7"] * (rng.random() < 0.8)
                if adsm != "GAD7" and rng.random() < 0.6:
                    codes.append(adsm)
                if rng.random() < 0.1:  # a measure that is not this descriptor's anxiety measure
                    codes.append(rng.choice(["PCL5", "SPIN", "IESR"]))
                for code in codes:
                    if rng.random() < 0.05:
                        scores[code] = None
                    elif code == "PHQ9" and mild and code not in scored:
                        scores[code] = scored[code] = rng.choice([8, 9, rng.randint(0, 9)])
                    elif code in scored:
                        scores[code] = scored[code] = _next_total(rng, code, scored[code])
                    else:
                        scores[code] = scored[code] = _total_near(rng, code)
            visits.append(
                Visit(
                    day=day,
                    appointment_type=appointment_type,
                    attendance=attendance,
                    scores=scores,
                    # around midnight too: the local date decides the day
                    hour=rng.choice([0, 9, 13, 23]),
                    minute=rng.choice([0, 30]),
                    step=rng.choice([2, 2, 3, None]),
                )
            )
        ended = rng.random() < 0.6
        last_visit = received + timedelta(days=day)
        cases.append(
            Case(
                received_on=received,
                descriptor=descriptor,
                status="ended" if ended else rng.choice(["received", "assessed", "waiting", "in_treatment"]),
                ended_on=last_visit + timedelta(days=rng.randint(0, 30)) if ended else None,
                end_code=rng.choice(END_CODES),
                visits=visits,
                source=rng.choice(ReferralSource.values),
                sex=rng.choice(["1", "2", "9", "X"]),
                ethnicity=rng.choice(["A", "B", "D", "H", "M", "R", "Z", "99"]),
                date_of_birth=date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28)),
            )
        )
    return cases
