"""A stale copy of a referral never overwrites newer data (hazard H-07): the
session service re-reads the referral under a row lock before it writes."""

from datetime import timedelta

from django.utils import timezone

from patients.models import Referral
from sessions.models import TherapySession
from sessions.services import therapy_session_record
from tests.factories import ReferralFactory, UserFactory, gad7, phq9


def record(pwp, referral, days_ago):
    return therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now() - timedelta(days=days_ago),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": phq9(14), "GAD7": gad7(10)},
        enqueue_followup=False,
    )


def test_a_stale_referral_does_not_overwrite_a_newer_last_contact(db):
    pwp = UserFactory()
    referral = ReferralFactory(patient__service=pwp.service, assigned_practitioner=pwp)
    # given a second screen loaded the referral before the first saved
    stale = Referral.objects.get(pk=referral.pk)
    record(pwp, referral, days_ago=2)
    # when the second screen records an earlier session with its stale copy
    record(pwp, stale, days_ago=10)
    # then both sessions are kept and the newer last contact stands
    referral.refresh_from_db()
    assert TherapySession.objects.filter(referral=referral).count() == 2
    assert referral.last_contact_on == timezone.localdate() - timedelta(days=2)
