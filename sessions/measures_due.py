"""The measures due at a referral's next session (issue 15; DOMAIN.md "Measures"),
as the session form shows them and as the questionnaire before the appointment
asks them (issue 20 item 3): one rule, read from the database here, applied by
sessions/measure_schedule.py."""

from __future__ import annotations

from django.conf import settings

from patients.models import Referral

from . import measure_schedule
from .codes import ATTENDED


def measures_due(referral: Referral, offered: list[str]) -> list[str]:
    """The offered instrument codes (in their order) due at the referral's next
    session. Only scores that count (a patient's unconfirmed answers do not)
    make a scheduled measure "done". Queries: attended sessions and the latest
    score of each scheduled measure (only when one is offered), and whether a
    discharge is proposed: at most 3."""
    from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus

    from .models import MeasureScore, TherapySession

    schedule = measure_schedule.schedule_from(getattr(settings, "MEASURE_SCHEDULE", None))
    scheduled = [code for code in offered if code in schedule]
    sessions_without: dict[str, int | None] = {}
    if scheduled:
        attended = list(
            TherapySession.objects.filter(referral=referral, attendance__in=ATTENDED)
            .order_by("-started_at")
            .values_list("pk", flat=True)
        )
        scored = {}
        for code, session_id in (
            MeasureScore.objects.counting()
            .filter(referral=referral, instrument__in=scheduled)
            .order_by("-taken_at")
            .values_list("instrument", "session_id")
        ):
            scored.setdefault(code, session_id)
        for code in scheduled:
            sessions_without[code] = attended.index(scored[code]) if scored.get(code) in attended else None
    discharge_proposed = StepChange.objects.filter(
        referral=referral, kind=StepChangeKind.DISCHARGE, status=StepChangeStatus.PROPOSED
    ).exists()
    return measure_schedule.due_instruments(
        offered, sessions_without=sessions_without, discharge_proposed=discharge_proposed, schedule=schedule
    )
