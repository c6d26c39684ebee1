"""A reader for what NHS England sends back: the pre- and post-deadline extracts
with its derived values (XML). Their schemas are published on TRUD, which no
public source here carries, so the reader is built on the derived field names
as NHS England's own SQL uses them (nhsengland/Talking-Therapies: PathwayID,
CompletedTreatment_Flag, NotCaseness_Flag, Recovery_Flag, ReliableImprovement_
Flag, ReliableDeterioration_Flag, NoChange_Flag, TherapySession_FirstDate,
TherapySession_SecondDate, TherapySession_LastDate, TreatmentCareContact_Count,
PHQ9_FirstScore, PHQ9_LastScore) and reads any element that carries the
submitted ServiceRequestId as one referral's record, whatever it is nested in.
When the TRUD schema is to hand, only `RECORD_ID_TAGS` and `FIELDS` may need to
change. Parsed with defusedxml (no entity expansion from a file that came over
a network). No Django imports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from defusedxml import ElementTree

from .derivations import Derived

RECORD_ID_TAGS = ("ServiceRequestId", "ServiceRequestID")
FLAGS = (
    "CompletedTreatment_Flag",
    "NotCaseness_Flag",
    "Recovery_Flag",
    "ReliableImprovement_Flag",
    "ReliableDeterioration_Flag",
    "NoChange_Flag",
)
DATES = ("TherapySession_FirstDate", "TherapySession_SecondDate", "TherapySession_LastDate")
NUMBERS = ("TreatmentCareContact_Count", "PHQ9_FirstScore", "PHQ9_LastScore")
FIELDS = FLAGS + DATES + NUMBERS
TRUE, FALSE = {"true", "1", "y", "yes"}, {"false", "0", "n", "no", ""}


@dataclass(frozen=True)
class Difference:
    service_request_id: str
    field: str
    national: object
    product: object


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]  # without a namespace


def read_return(source) -> dict[str, dict[str, str]]:
    """Every referral record in the file: {ServiceRequestId: {field: text}} for the
    derived fields present. ValueError for a file that is not XML."""
    try:
        tree = ElementTree.parse(source)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not an XML file: {exc}") from exc
    records = {}
    for element in tree.getroot().iter():
        children = {_local(child.tag): (child.text or "").strip() for child in element}
        record_id = next((children[t] for t in RECORD_ID_TAGS if t in children), None)
        if record_id:
            records[record_id] = {name: children[name] for name in FIELDS if name in children}
    return records


def _value(field: str, text: str):
    if field in FLAGS:
        lowered = text.lower()
        if lowered in TRUE:
            return True
        if lowered in FALSE:
            return False
        raise ValueError(f"{field}: '{text}' is not a flag")
    if field in DATES:
        return date.fromisoformat(text[:10]) if text else None
    return float(text) if text else None


def compare(national: dict[str, dict[str, str]], derived: dict[str, Derived]) -> list[Difference]:
    """Every field of every referral where NHS England's derivation and the
    product's differ; a referral on one side only is a difference of its own
    (field "record")."""
    differences = []
    for record_id in sorted(set(national) | set(derived)):
        if record_id not in derived:
            differences.append(Difference(record_id, "record", "present", "absent"))
            continue
        if record_id not in national:
            differences.append(Difference(record_id, "record", "absent", "present"))
            continue
        ours = derived[record_id]
        for field, text in national[record_id].items():
            theirs = _value(field, text)
            mine = getattr(ours, field)
            if field in NUMBERS and mine is not None:
                mine = float(mine)
            if theirs != mine:
                differences.append(Difference(record_id, field, theirs, mine))
    return differences
