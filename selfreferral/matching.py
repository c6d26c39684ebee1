"""The match of an incoming self-referral against the service's patients (issue
20 item 2): the same NHS number, or else the same name (patients' normalised
name key, patients.models.NameKey: any case, accents, apostrophes), date of
birth and postcode (spaces and case ignored). A match is a suggestion for staff;
only they merge."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, Value
from django.db.models.functions import Replace, Upper

from patients.models import NameKey, Patient

from .models import SelfReferral

NHS_NUMBER = "nhs_number"
NAME_DOB_POSTCODE = "name_dob_postcode"


@dataclass(frozen=True)
class Match:
    patient: Patient
    rule: str  # NHS_NUMBER or NAME_DOB_POSTCODE

    @property
    def rule_label(self) -> str:
        return "same NHS number" if self.rule == NHS_NUMBER else "same name, date of birth and postcode"


def _compact(expr):
    return Upper(Replace(expr, Value(" "), Value("")))


def matches_for(rows: list[SelfReferral]) -> dict:
    """{self-referral id: Match or None} for `rows` (of one service). Shape: at most
    two queries whatever the number of rows (the NHS numbers; the name keys),
    plus one for the rows' own name keys."""
    if not rows:
        return {}
    service_ids = {r.service_id for r in rows}
    numbers = {r.nhs_number for r in rows if r.nhs_number}
    by_number: dict[str, Patient] = {}
    if numbers:
        for p in Patient.objects.filter(service_id__in=service_ids, nhs_number__in=numbers):
            by_number[(p.service_id, p.nhs_number)] = p
    keys = {
        k["pk"]: (k["g"], k["f"])
        for k in SelfReferral.objects.filter(pk__in=[r.pk for r in rows])
        .annotate(g=NameKey("given_name"), f=NameKey("family_name"))
        .values("pk", "g", "f")
    }
    by_identity: dict[tuple, Patient] = {}
    dobs = {r.date_of_birth for r in rows}
    candidates = (
        Patient.objects.filter(service_id__in=service_ids, date_of_birth__in=dobs)
        .annotate(g=NameKey("given_name"), f=NameKey("family_name"), pc=_compact("postcode"))
        .filter(Q(f__in={k[1] for k in keys.values()}))
        .order_by("created_at")
    )
    for p in candidates:
        by_identity.setdefault((p.service_id, p.g, p.f, p.date_of_birth, p.pc), p)
    out = {}
    for r in rows:
        patient = by_number.get((r.service_id, r.nhs_number)) if r.nhs_number else None
        if patient is not None:
            out[r.pk] = Match(patient, NHS_NUMBER)
            continue
        g, f = keys.get(r.pk, ("", ""))
        patient = by_identity.get((r.service_id, g, f, r.date_of_birth, r.postcode.replace(" ", "").upper()))
        out[r.pk] = Match(patient, NAME_DOB_POSTCODE) if patient is not None else None
    return out


def match_for(row: SelfReferral) -> Match | None:
    return matches_for([row])[row.pk]
