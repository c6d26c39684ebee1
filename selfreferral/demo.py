"""The demo's incoming self-referrals (issue 20 item 6): three people who referred
themselves through the public form and wait for a decision: one urgent (a risk
answer), one matching an existing demo patient (to show a merge), one new.
Fictitious names (surnames nobody carries, as patients/demo.py), the 999 test
range for NHS numbers."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from django.utils import timezone

from patients import nhs_number
from patients.codes import Ethnicity, Sex
from patients.models import Patient

from .codes import Channel, Duration, MessageStatus
from .models import SelfReferral
from .reference import new_reference


def build(result: dict) -> list[SelfReferral]:
    service = result["service"]
    rng = result["rng"]
    now = timezone.now()
    existing = Patient.objects.filter(service=service).order_by("family_name", "given_name").first()
    people = [
        {
            "given_name": "Morgan",
            "family_name": "Quillfeather",
            "date_of_birth": date(1991, 6, 2),
            "nhs_number": "",
            "address": "14 Canal Walk, Leeds",
            "postcode": "LS11 5QR",
            "mobile": "07700 900456",
            "channels": [Channel.SMS, Channel.VOICEMAIL],
            "problem": "I keep having thoughts that everyone would be better off without me.",
            "duration": Duration.UNDER_3_MONTHS,
            "risk_answers": {"thoughts": True, "plans": False, "others": False},
            "urgent": True,
            "hours_ago": 2,
        },
        {
            "given_name": existing.given_name if existing else "Alex",
            "family_name": existing.family_name if existing else "Brindlecombe",
            "date_of_birth": existing.date_of_birth if existing else date(1980, 1, 1),
            "nhs_number": existing.nhs_number if existing else nhs_number.generate(rng),
            "address": existing.address if existing and existing.address else "3 Mill Lane, Leeds",
            "postcode": existing.postcode if existing and existing.postcode else "LS6 2AB",
            "mobile": "",
            "email": "demo.person@example.com",
            "channels": [Channel.EMAIL],
            "problem": "The worry is back after my last course of therapy ended.",
            "duration": Duration.UNDER_1_YEAR,
            "risk_answers": {"thoughts": False, "plans": False, "others": False},
            "urgent": False,
            "hours_ago": 30,
        },
        {
            "given_name": "Jesse",
            "family_name": "Marrowvale",
            "date_of_birth": date(1975, 11, 20),
            "nhs_number": nhs_number.generate(rng),
            "address": "8 Orchard Row, Leeds",
            "postcode": "LS7 3HX",
            "mobile": "07700 900789",
            "channels": [Channel.SMS, Channel.LETTER],
            "problem": "Panic attacks on the bus to work; I have stopped going in.",
            "duration": Duration.UNDER_5_YEARS,
            "risk_answers": {"thoughts": False, "plans": False, "others": False},
            "urgent": False,
            "hours_ago": 52,
        },
    ]
    rows = []
    for person in people:
        hours_ago = person.pop("hours_ago")
        submitted = now - timedelta(hours=hours_ago)
        rows.append(
            SelfReferral(
                service=service,
                reference=new_reference(),
                submission_key=uuid.uuid4(),
                gp_practice_name="Riverside Medical Centre",
                hopes="To feel like myself again.",
                stated_gender=Sex.NOT_KNOWN,
                ethnicity=Ethnicity.NOT_STATED,
                started_at=submitted - timedelta(minutes=9),
                submitted_at=submitted,
                acknowledgement=MessageStatus.NOT_CONFIGURED,
                **{"email": "", **person},
            )
        )
    return SelfReferral.objects.bulk_create(rows)
