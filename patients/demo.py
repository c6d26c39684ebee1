"""The demo service that `make run` loads: one provider, two teams, a user for
every role, about 300 patients with referrals over the last 12 months in every
state. Names are realistic in shape but obviously fictitious; NHS numbers are
generated in the 999 test range and pass the modulus-11 check. Deterministic
(seeded), so every run builds the same service."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Role, Service, SupervisionAssignment, Team, User

from . import nhs_number
from .codes import (
    ContactPreference,
    Ethnicity,
    PresentingProblemType,
    ProblemDescriptor,
    ReferralSource,
    ReferralStatus,
    Sex,
)
from .models import Patient, PresentingProblem, Referral

DEMO_ODS = "DEMO1"
GIVEN_NAMES = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Leo",
    "Freya",
    "Oscar",
    "Grace",
    "Harry",
    "Lily",
    "Jack",
    "Rosie",
    "Charlie",
    "Florence",
    "Theo",
    "Priya",
    "Mohammed",
    "Aisha",
    "Kwame",
    "Zofia",
    "Tomasz",
    "Siobhan",
    "Rhys",
    "Niamh",
    "Ade",
    "Mei",
    "Hamza",
    "Chloe",
    "Sam",
    "Aaliyah",
]
# Surnames nobody carries, so no demo record can be mistaken for a real one.
FAMILY_NAMES = [
    "Testwood",
    "Samplewell",
    "Mockford",
    "Exampleton",
    "Fictley",
    "Dummington",
    "Placeworth",
    "Specimen",
    "Notreal",
    "Madeupson",
    "Demoshire",
    "Pretendly",
    "Imaginary",
    "Synthby",
    "Fabricot",
    "Trialby",
]
STAFF = [
    # username, first, last, role, band, trainee months ago (None = qualified), team index
    ("pwp", "Paula", "Practitioner", Role.PWP, 5, None, 0),
    ("trainee", "Tariq", "Trainee", Role.PWP, 4, 6, 0),
    ("pwp2", "Petra", "Secondwell", Role.PWP, 5, None, 1),
    ("pwp3", "Dev", "Lowintensity", Role.PWP, 6, None, 0),
    ("pwp4", "Nia", "Guidedhelp", Role.PWP, 5, None, 1),
    ("trainee2", "Owen", "Newstarter", Role.PWP, 4, 1, 1),
    ("supervisor", "Sunita", "Supervisor", Role.SUPERVISOR, 7, None, 0),
    ("supervisor2", "Marcus", "Overseer", Role.SUPERVISOR, 7, None, 1),
    ("hit", "Hannah", "Highintensity", Role.HIT, 7, None, 0),
    ("hit2", "Ibrahim", "Therapist", Role.HIT, 7, None, 1),
    ("manager", "Margaret", "Manager", Role.SERVICE_MANAGER, 8, None, None),
    ("admin", "Alan", "Administrator", Role.REFERRAL_ADMIN, 3, None, None),
    ("sysadmin", "Sys", "Admin", Role.SYSTEM_ADMIN, None, None, None),
]
SUPERVISION = {"supervisor": ["pwp", "trainee", "pwp3"], "supervisor2": ["pwp2", "pwp4", "trainee2"]}
DEMO_LOGINS = ("pwp", "trainee", "pwp2", "supervisor", "hit", "manager", "admin")

DESCRIPTOR_WEIGHTS = {
    ProblemDescriptor.DEPRESSION: 26,
    ProblemDescriptor.RECURRENT_DEPRESSION: 6,
    ProblemDescriptor.GAD: 18,
    ProblemDescriptor.MIXED: 20,
    ProblemDescriptor.PANIC: 7,
    ProblemDescriptor.SOCIAL_PHOBIA: 5,
    ProblemDescriptor.OCD: 4,
    ProblemDescriptor.PTSD: 5,
    ProblemDescriptor.HEALTH_ANXIETY: 4,
    ProblemDescriptor.AGORAPHOBIA: 3,
    ProblemDescriptor.SPECIFIC_PHOBIA: 2,
}
SOURCE_WEIGHTS = {
    ReferralSource.SELF: 55,
    ReferralSource.GP: 35,
    ReferralSource.OTHER_PRIMARY_CARE: 4,
    ReferralSource.SECONDARY_CARE: 2,
    ReferralSource.EMPLOYER: 2,
    ReferralSource.VOLUNTARY: 2,
}


# Secondary problems seen with a primary (a quarter of assessed referrals have one).
SECONDARY_WEIGHTS = {
    ProblemDescriptor.GAD: 5,
    ProblemDescriptor.DEPRESSION: 5,
    ProblemDescriptor.INSOMNIA: 2,
    ProblemDescriptor.ADJUSTMENT: 2,
    ProblemDescriptor.SOCIAL_PHOBIA: 1,
    ProblemDescriptor.PANIC: 1,
}
# A primary changed after a few sessions (decision 023): what it was first recorded as.
FIRST_THOUGHT = {
    ProblemDescriptor.SOCIAL_PHOBIA: ProblemDescriptor.GAD,
    ProblemDescriptor.PANIC: ProblemDescriptor.GAD,
    ProblemDescriptor.PTSD: ProblemDescriptor.MIXED,
    ProblemDescriptor.HEALTH_ANXIETY: ProblemDescriptor.ANXIETY_UNSPECIFIED,
}


def _demo_presenting_problems(
    rng: random.Random, referral: Referral, users: dict, *, today: date
) -> list[PresentingProblem]:
    """The demo referral's presenting problems (IDS603), unsaved: the primary at
    assessment (or at referral), for some an earlier primary the practitioner
    later changed, for some a secondary. The referral's problem_descriptor is the
    latest primary, as patients.services keeps it (decision 023)."""
    if not referral.problem_descriptor:
        return []
    practitioner = referral.assigned_practitioner or users["admin"]
    first_day = referral.assessed_on or referral.received_on
    last_day = min(filter(None, (referral.ended_on, today)))
    rows = []
    earlier = FIRST_THOUGHT.get(referral.problem_descriptor)
    changed_on = first_day + timedelta(days=21)
    if earlier and referral.assessed_on and changed_on <= last_day and rng.random() < 0.4:
        rows.append(PresentingProblem(kind=PresentingProblemType.PRIMARY, code=earlier, recorded_on=first_day))
        rows.append(
            PresentingProblem(
                kind=PresentingProblemType.PRIMARY,
                code=referral.problem_descriptor,
                recorded_on=changed_on,
                recorded_by=practitioner,
            )
        )
        rows[0].recorded_by = practitioner
    else:
        rows.append(
            PresentingProblem(
                kind=PresentingProblemType.PRIMARY,
                code=referral.problem_descriptor,
                recorded_on=first_day,
                recorded_by=practitioner,
            )
        )
    if referral.assessed_on and rng.random() < 0.25:
        secondary = _pick(rng, SECONDARY_WEIGHTS)
        if secondary not in (referral.problem_descriptor, earlier):
            rows.append(
                PresentingProblem(
                    kind=PresentingProblemType.SECONDARY,
                    code=secondary,
                    recorded_on=first_day,
                    recorded_by=practitioner,
                )
            )
    return rows


def _pick(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def demo_loaded() -> bool:
    return Service.objects.filter(ods_code=DEMO_ODS).exists()


def build(*, patients: int = 300, seed: int = 20261124, today: date | None = None) -> dict:
    """The patients floor's part of the demo service: the service, teams, a user for
    every role and `patients` patients with referrals in every state. Returns the
    dict the floors above build on (service, users, teams, referrals, rng).
    Called by `iapt.demo.load_demo`, inside its transaction."""
    rng = random.Random(seed)
    # Presenting problems draw from their own generator, so the rest of the demo is as before.
    problem_rng = random.Random(seed + 603)
    today = today or timezone.localdate()
    service = Service.objects.create(
        name="Northbridge Talking Therapies (demo)", provider="Northbridge Demo NHS Foundation Trust", ods_code=DEMO_ODS
    )
    teams = [
        Team.objects.create(service=service, name="North team"),
        Team.objects.create(service=service, name="South team"),
    ]
    users = {}
    for username, first, last, role, band, trainee_months, team_index in STAFF:
        user = User(
            username=username,
            first_name=first,
            last_name=last,
            role=role,
            band=band,
            is_trainee=trainee_months is not None,
            training_start=today - timedelta(days=30 * trainee_months) if trainee_months is not None else None,
            service=service,
            team=teams[team_index] if team_index is not None else None,
            email=f"{username}@demo.invalid",
            # The system administrator reaches the admin site by role, and is no
            # Django superuser: no patient record opens to it (issue 13).
            is_staff=role == Role.SYSTEM_ADMIN,
        )
        user.set_password(settings.DEMO_PASSWORD)
        user.save()
        users[username] = user
    for supervisor, supervisees in SUPERVISION.items():
        for supervisee in supervisees:
            SupervisionAssignment.objects.create(
                supervisor=users[supervisor], supervisee=users[supervisee], started=today - timedelta(days=400)
            )
    step2 = [users[name] for name in ("pwp", "trainee", "pwp2", "pwp3", "pwp4")]
    step3 = [users["hit"], users["hit2"]]
    referrals = []
    used_numbers = set()
    for index in range(patients):
        number = nhs_number.generate(rng)
        while number in used_numbers:
            number = nhs_number.generate(rng)
        used_numbers.add(number)
        received = today - timedelta(days=rng.randrange(0, 365))
        age = rng.choice([19, 22, 25, 29, 34, 38, 41, 45, 52, 58, 63, 67, 72, 80])
        dob = received - timedelta(days=age * 365 + rng.randrange(0, 300))
        patient = Patient.objects.create(
            service=service,
            nhs_number=number,
            given_name=rng.choice(GIVEN_NAMES),
            family_name=rng.choice(FAMILY_NAMES),
            date_of_birth=dob,
            sex=rng.choices([Sex.FEMALE, Sex.MALE, Sex.NOT_KNOWN], weights=[64, 34, 2])[0],
            ethnicity=rng.choices(
                list(Ethnicity.values), weights=[60, 2, 6, 1, 1, 1, 1, 4, 3, 2, 1, 2, 3, 1, 1, 2, 3, 2]
            )[0],
            phone=f"07700 900{index % 1000:03d}",
            email=f"patient{index}@example.invalid",
            postcode="ZZ99 3VZ",
            contact_preferences=rng.sample([c.value for c in ContactPreference], 2),
            consent_to_contact=True,
            consent_to_leave_messages=rng.random() < 0.7,
            gp_practice_code=f"Y{rng.randrange(10000, 99999)}",
            gp_practice_name="Demo Medical Centre",
        )
        age_days = (today - received).days
        descriptor = _pick(rng, DESCRIPTOR_WEIGHTS)
        referral = Referral(
            patient=patient,
            service=service,
            team=rng.choice(teams),
            source=_pick(rng, SOURCE_WEIGHTS),
            received_on=received,
            problem_descriptor=descriptor,
            created_by=users["admin"],
        )
        # State by age: recent referrals are waiting, older ones in treatment or ended.
        roll = rng.random()
        if age_days < 10 and roll < 0.7:
            referral.status = ReferralStatus.RECEIVED
            referral.problem_descriptor = ""
        elif age_days < 25 and roll < 0.5:
            referral.status = ReferralStatus.ASSESSED
            referral.assessed_on = received + timedelta(days=min(age_days, rng.randrange(3, 15)))
        elif age_days < 120 or (age_days < 200 and roll < 0.3):
            referral.status = rng.choice(
                [
                    ReferralStatus.WAITING,
                    ReferralStatus.IN_TREATMENT,
                    ReferralStatus.IN_TREATMENT,
                    ReferralStatus.IN_TREATMENT,
                ]
            )
            referral.assessed_on = received + timedelta(days=min(age_days, rng.randrange(3, 20)))
        else:
            referral.status = ReferralStatus.ENDED
            referral.assessed_on = received + timedelta(days=rng.randrange(3, 25))
            referral.ended_on = min(today, received + timedelta(days=rng.randrange(60, 180)))
            referral.end_code = rng.choices(
                ["46", "47", "48", "11", "13", "14", "50", "12"], weights=[45, 12, 8, 8, 6, 8, 8, 5]
            )[0]
            if referral.end_code == "50":
                referral.assessed_on = None
        if referral.status != ReferralStatus.RECEIVED:
            high_intensity = (
                descriptor in (ProblemDescriptor.PTSD, ProblemDescriptor.SOCIAL_PHOBIA) or rng.random() < 0.12
            )
            if referral.end_code != "50":
                referral.current_step = 3 if high_intensity else 2
                referral.assigned_practitioner = rng.choice(step3 if high_intensity else step2)
                referral.opened_at = timezone.make_aware(
                    timezone.datetime.combine(referral.assessed_on or received, timezone.datetime.min.time())
                )
        problems = _demo_presenting_problems(problem_rng, referral, users, today=today)
        referral.save()
        for problem in problems:
            problem.referral = referral
        PresentingProblem.objects.bulk_create(problems)
        referrals.append(referral)
    return {"created": True, "service": service, "users": users, "teams": teams, "referrals": referrals, "rng": rng}
