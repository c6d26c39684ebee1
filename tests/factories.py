"""Factories for tests. NHS numbers come from the 999 test range and pass the check."""

import random
from datetime import date, timedelta

import factory
from django.utils import timezone

from accounts.models import Role, Service, SupervisionAssignment, Team, User
from patients import nhs_number
from patients.codes import PresentingProblemType, ReferralSource, ReferralStatus, Sex
from patients.models import Patient, PresentingProblem, Referral

_rng = random.Random(4242)


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    name = factory.Sequence(lambda n: f"Service {n}")
    provider = "Test Provider NHS Trust"
    ods_code = factory.Sequence(lambda n: f"T{n:04d}")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    service = factory.SubFactory(ServiceFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    role = Role.PWP
    band = 5
    service = factory.SubFactory(ServiceFactory)
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-battery")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class SupervisionAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionAssignment

    supervisor = factory.SubFactory(UserFactory, role=Role.SUPERVISOR)
    supervisee = factory.SubFactory(UserFactory)
    started = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    service = factory.SubFactory(ServiceFactory)
    nhs_number = factory.LazyFunction(lambda: nhs_number.generate(_rng))
    given_name = "Alex"
    family_name = factory.Sequence(lambda n: f"Testwood{n}")
    date_of_birth = date(1985, 6, 15)
    sex = Sex.FEMALE


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral
        skip_postgeneration_save = True  # the hook writes its own row; the referral needs no second save

    patient = factory.SubFactory(PatientFactory)
    service = factory.LazyAttribute(lambda o: o.patient.service)
    source = ReferralSource.SELF
    received_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=60))
    problem_descriptor = "F32"
    status = ReferralStatus.IN_TREATMENT
    current_step = 2
    opened_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=40))

    @factory.post_generation
    def presenting_problem(obj, create, extracted, **kwargs):
        """A referral made with a problem descriptor has it as its primary
        presenting problem, dated as the data migration dates it (decision 023),
        so the two agree as the services keep them."""
        if create and obj.problem_descriptor and extracted is not False:
            PresentingProblem.objects.create(
                referral=obj,
                kind=PresentingProblemType.PRIMARY,
                code=obj.problem_descriptor,
                recorded_on=obj.assessed_on or obj.received_on,
            )


def phq9(total: int, item9: int = 0) -> list[int]:
    """PHQ-9 items adding to total, with item 9 as given."""
    items = [0] * 9
    items[8] = item9
    remaining = total - item9
    for i in range(8):
        items[i] = min(3, remaining)
        remaining -= items[i]
    assert remaining == 0, "total out of range for PHQ-9"
    return items


def gad7(total: int) -> list[int]:
    items = [0] * 7
    remaining = total
    for i in range(7):
        items[i] = min(3, remaining)
        remaining -= items[i]
    assert remaining == 0, "total out of range for GAD-7"
    return items


def log_session(pwp, referral, *, days_ago, phq, gad, attendance="5", kind="02", item9=0, risk=None, extra=None):
    """A session logged through the real service days_ago, with PHQ-9 and GAD-7
    (and any extra measures) when attended; no follow-up task queued."""
    from sessions.services import therapy_session_record

    attended = attendance in ("5", "6")
    return therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=days_ago),
        appointment_type=kind,
        attendance=attendance,
        medium="02",
        measure_items={"PHQ9": phq9(phq, item9=item9), "GAD7": gad7(gad), **(extra or {})} if attended else {},
        risk=risk,
        enqueue_followup=False,
    )


def totp_code(device) -> str:
    """The code a TOTP device's authenticator app shows now."""
    from django_otp.oath import totp

    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"
