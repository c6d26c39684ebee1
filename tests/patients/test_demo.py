import pytest
from django.core.management import call_command
from django.db.models import Count

from accounts.models import Role, User
from patients import nhs_number
from patients.codes import PresentingProblemType, ReferralStatus
from patients.demo import DEMO_LOGINS
from patients.models import Patient, PresentingProblem, Referral


@pytest.mark.django_db
def test_demo_loads_once_and_covers_every_role_and_state(settings):
    settings.DEMO_PASSWORD = "demo-password-for-test"
    call_command("load_demo", patients=120)
    counts = (User.objects.count(), Patient.objects.count(), Referral.objects.count())
    call_command("load_demo", patients=120)
    assert (User.objects.count(), Patient.objects.count(), Referral.objects.count()) == counts
    for username in DEMO_LOGINS:
        assert User.objects.get(username=username).check_password("demo-password-for-test")
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(Referral.objects.values_list("status", flat=True)) == set(ReferralStatus.values)
    assert all(
        nhs_number.is_valid(n) and n.startswith("999") for n in Patient.objects.values_list("nhs_number", flat=True)
    )
    # presenting problems (IDS603; decision 023): primaries, some changed, some secondaries, in step
    assert not Referral.objects.problem_descriptor_disagreeing().exists()
    problems = PresentingProblem.objects.all()
    assert problems.filter(kind=PresentingProblemType.SECONDARY).exists()
    changed = (
        problems.filter(kind=PresentingProblemType.PRIMARY).values("referral").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert changed.exists()


@pytest.mark.django_db
def test_demo_refused_when_disabled(settings):
    from django.core.management.base import CommandError

    settings.DEMO_ENABLED = False
    with pytest.raises(CommandError):
        call_command("load_demo")
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_the_demo_has_an_expected_course_and_a_case_not_on_track(settings):
    """Issue 21 "Done when": on the demo, stalled cases are flagged not on track by
    the first flag job, against the demo service's own expected course."""
    from feedback.models import ExpectedCourse
    from supervision.models import Flag, FlagReason
    from supervision.sweep import sweep

    settings.DEMO_PASSWORD = "demo-password-for-test"
    call_command("load_demo", patients=300)
    course = ExpectedCourse.objects.get()
    assert course.points.filter(instrument="PHQ9").exists() and course.min_sample == 5
    sweep(full=True)  # what make run's first flag job does
    assert Flag.objects.filter(reason=FlagReason.NOT_ON_TRACK, resolved_at__isnull=True).exists()
