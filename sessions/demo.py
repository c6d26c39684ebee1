"""Demo sessions: assessments, treatment sessions with PHQ-9/GAD-7 (and the ADSM
where the problem has one) following realistic trajectories: most improving,
some flat, some deteriorating, a few with PHQ-9 item 9 above 0 and a risk
assessment, some DNAs (two in a row for a few). Recorded through the real
services so every derived date and score is what the product computes."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from django.utils import timezone

from accounts.models import Role, SupervisionAssignment, User
from patients.codes import ReferralStatus
from stepped_care.models import StepChange, StepChangeKind, StepChangeStatus
from stepped_care.services import step_change_decide, step_change_propose

from . import measures
from .services import RiskInput, therapy_session_record

TREATED_END_CODES = {"46", "47", "48"}
STEP2 = ["gsh", "ba", "ccbt", "problem_solving", "sleep_hygiene", "cog_restructuring", "exposure"]
STEP3 = ["cbt", "ipt", "counselling", "emdr"]


def _items(code: str, total: float, rng: random.Random, item9: int = 0) -> list[int]:
    """Items adding up to (about) the wanted total, within the instrument's range."""
    instrument = measures.INSTRUMENTS[code]
    n, lo, hi = instrument.item_count, instrument.item_min, instrument.item_max
    target = round(total * n) if instrument.scoring == "mean" else round(total)
    target = max(n * lo, min(n * hi, target))
    items = [lo] * n
    fixed = {8: item9} if code == "PHQ9" else {}
    for index, value in fixed.items():
        items[index] = value
    remaining = target - sum(items)
    order = [i for i in range(n) if i not in fixed]
    while remaining > 0 and order:
        i = rng.choice(order)
        if items[i] < hi:
            items[i] += 1
            remaining -= 1
        else:
            order.remove(i)
    return items


def _at(day, hour: int, minute: int = 0):
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def build(result: dict) -> None:
    rng: random.Random = result["rng"]
    today = timezone.localdate()
    for referral in result["referrals"]:
        if referral.assigned_practitioner_id is not None and referral.assessed_on is not None:
            _build_referral(referral, rng, today)


def _build_referral(referral, rng: random.Random, today) -> None:
    practitioner = referral.assigned_practitioner
    ended = referral.status == ReferralStatus.ENDED
    end_state = (referral.ended_on, referral.end_code)
    last_day = referral.ended_on if ended else today
    if ended:  # record while open, then end as it really happened
        referral.status, referral.ended_on, referral.end_code = ReferralStatus.IN_TREATMENT, None, ""
        referral.save(update_fields=["status", "ended_on", "end_code"])
    anxiety = measures.anxiety_instrument_for(referral.problem_descriptor) if referral.problem_descriptor else "GAD7"
    phq_start = rng.uniform(9, 23)
    gad_start = rng.uniform(7, 19)
    kind = rng.choices(["improving", "flat", "deteriorating"], weights=[68, 22, 10])[0]
    slope = {
        "improving": rng.uniform(-2.2, -0.8),
        "flat": rng.uniform(-0.4, 0.3),
        "deteriorating": rng.uniform(0.7, 1.6),
    }[kind]
    risky = rng.random() < 0.06

    def measures_at(week: int, *, item9: int = 0):
        phq = max(0, min(27, phq_start + slope * week + rng.uniform(-1.5, 1.5)))
        gad = max(0, min(21, gad_start + slope * 0.8 * week + rng.uniform(-1.5, 1.5)))
        items = {"PHQ9": _items("PHQ9", phq, rng, item9=item9), "GAD7": _items("GAD7", gad, rng)}
        if anxiety != "GAD7":
            instrument = measures.INSTRUMENTS[anxiety]
            top = instrument.item_max * (1 if instrument.scoring == "mean" else instrument.item_count)
            share = gad / 21
            items[anxiety] = _items(anxiety, top * share, rng)
        return items

    def record(day, appointment_type, attendance="5", week=0, item9=0):
        risk = None
        if item9:
            risk = RiskInput(
                risk_to_self="medium" if item9 > 1 else "low",
                risk_to_others="none",
                risk_from_others="none",
                level="medium" if item9 > 1 else "low",
                plan="Safety plan agreed; crisis numbers given; GP informed.",
                actions="Discuss in supervision this week.",
            )
        started_at = min(
            _at(day, 9 + rng.randrange(8), rng.choice([0, 15, 30, 45])), timezone.now() - timedelta(minutes=1)
        )
        therapy_session_record(
            user=practitioner,
            referral=referral,
            started_at=started_at,
            appointment_type=appointment_type,
            attendance=attendance,
            medium=rng.choice(["02", "02", "01", "11"]),
            duration_minutes=rng.choice([30, 30, 35, 45]) if appointment_type == "01" else rng.choice([20, 25, 30]),
            interventions=[]
            if appointment_type == "01" or attendance not in ("5", "6")
            else rng.sample(STEP3 if referral.current_step == 3 else STEP2, 1),
            notes="Demo session note." if attendance in ("5", "6") else "",
            measure_items=measures_at(week, item9=item9) if attendance in ("5", "6") else {},
            risk=risk,
            enqueue_followup=False,
        )

    record(referral.assessed_on, "01")
    if referral.status == ReferralStatus.ASSESSED:  # awaiting the step decision
        return
    StepChange.objects.create(
        referral=referral,
        kind=StepChangeKind.ALLOCATION,
        status=StepChangeStatus.CONFIRMED,
        to_step=referral.current_step,
        effective_on=referral.assessed_on,
        reason="Step decision at assessment (demo).",
        proposed_by=practitioner,
        decided_by=practitioner,
        decided_at=_at(referral.assessed_on, 17),
        proposed_at=_at(referral.assessed_on, 17),
    )
    treats = referral.status == ReferralStatus.IN_TREATMENT or end_state[1] in TREATED_END_CODES
    if treats:
        day = referral.assessed_on + timedelta(days=rng.randrange(7, 30))
        week = 1
        dna_run = rng.random() < 0.08
        while day < last_day and week <= rng.choice([4, 6, 8, 8, 10]):
            attendance = "5"
            if dna_run and week in (3, 4):
                attendance = "3"
            elif rng.random() < 0.07:
                attendance = rng.choice(["3", "2", "6"])
            item9 = rng.choice([1, 2]) if risky and week >= 2 and attendance in ("5", "6") and rng.random() < 0.5 else 0
            record(day, "02", attendance=attendance, week=week, item9=item9)
            day += timedelta(days=7 + rng.choice([0, 0, 0, 7]))
            week += 1
        if not ended and kind != "improving" and referral.current_step == 2 and week > 5:
            _step_up(referral, rng, on=min(day, today))
    if ended:
        referral.refresh_from_db()
        referral.status, referral.ended_on, referral.end_code = (
            ReferralStatus.ENDED,
            max(end_state[0], referral.last_contact_on or end_state[0]),
            end_state[1],
        )
        referral.save(update_fields=["status", "ended_on", "end_code"])


def _step_up(referral, rng: random.Random, *, on) -> None:
    """Step 2 cases that do not improve after 4 treatment sessions are proposed
    for step 3 (DOMAIN.md "Stepped care"); the supervisor has confirmed about half,
    allocating a high-intensity therapist, and the rest await supervision."""
    change = step_change_propose(
        user=referral.assigned_practitioner,
        referral=referral,
        kind=StepChangeKind.STEP_UP,
        to_step=3,
        effective_on=on,
        reason="No reliable improvement after 4 treatment sessions at step 2 (demo).",
    )
    assignment = SupervisionAssignment.objects.current().filter(supervisee=referral.assigned_practitioner).first()
    if assignment is None or rng.random() < 0.5:
        return
    therapist = rng.choice(list(User.objects.filter(service=referral.service, role=Role.HIT, is_active=True)))
    step_change_decide(user=assignment.supervisor, change=change, confirm=True, practitioner=therapist)
