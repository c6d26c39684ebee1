"""Demo supervision history: reviews of most open cases (some recent, some more
than 28 days ago so overdue flags appear, some never), weekly supervision
sessions and clinical-skills logs; and the service's duty worker. The running
worker raises the flags (make run sends the flag job as it starts; beat repeats
it hourly)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from accounts.models import SupervisionAssignment
from patients.codes import OPEN_STATUSES

from .models import CaseReview, ClinicalSkillsSupervision, Decision, DutyWorker, SupervisionSession


def build(result: dict) -> None:
    rng: random.Random = result["rng"]
    now = timezone.now()
    # the supervisor is on duty: a patient's risk answer reaches them (supervision/duty.py)
    DutyWorker.objects.create(service=result["service"], user=result["users"]["supervisor"])
    supervisor_of = {
        a.supervisee_id: a.supervisor for a in SupervisionAssignment.objects.current().select_related("supervisor")
    }
    for referral in result["referrals"]:
        referral.refresh_from_db(fields=["status", "assigned_practitioner", "opened_at", "last_reviewed_at"])
        supervisor = supervisor_of.get(referral.assigned_practitioner_id)
        if referral.status not in OPEN_STATUSES or supervisor is None or referral.opened_at is None:
            continue
        open_days = (now - referral.opened_at).days
        roll = rng.random()
        if roll < 0.15 or open_days < 3:
            continue  # never reviewed
        days_ago = rng.randrange(1, 27) if roll < 0.75 else rng.randrange(29, 60)
        reviewed_at = max(referral.opened_at + timedelta(days=1), now - timedelta(days=days_ago))
        CaseReview.objects.create(
            referral=referral,
            reviewer=supervisor,
            reviewed_at=reviewed_at,
            decisions=[rng.choice([Decision.CONTINUE, Decision.CONTINUE, Decision.CHANGE_INTERVENTION])],
            notes="Reviewed in case-management supervision (demo).",
            next_review_on=timezone.localtime(reviewed_at).date() + timedelta(days=28),
        )
        referral.last_reviewed_at = reviewed_at
        referral.save(update_fields=["last_reviewed_at"])
    for assignment in SupervisionAssignment.objects.current().select_related("supervisor", "supervisee"):
        for week in range(1, 13):
            if rng.random() < 0.85:  # a few missed weeks show in compliance
                SupervisionSession.objects.create(
                    supervisor=assignment.supervisor,
                    supervisee=assignment.supervisee,
                    started_at=now - timedelta(weeks=week, hours=rng.randrange(0, 48)),
                )
        for fortnight in range(1, 7):
            log = ClinicalSkillsSupervision.objects.create(
                supervisor=assignment.supervisor,
                held_on=timezone.localdate() - timedelta(weeks=2 * fortnight),
                format="group",
                topics="Behavioural activation skills practice (demo).",
            )
            log.attendees.add(assignment.supervisee)
