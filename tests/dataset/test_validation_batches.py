"""The validation fed a batch of rows at a time (`Validator.rows_of`, what the
extract's build does) finds exactly what it finds fed one row at a time: the same
counts, the same findings in the same order, the same completeness."""

import copy
import random

from dataset import spec
from dataset.validation import Validator
from tests.dataset.test_rules import _clean

FAULTS = [
    ("IDS001MPI", {"NHSNumber": "9434765918"}),
    ("IDS001MPI", {"PersonBirthDate": ""}),
    ("IDS001MPI", {"Gender": "M"}),
    ("IDS001MPI", {"Postcode": "AB1 2CD EXTRA"}),  # longer than 8
    ("IDS001MPI", {"PersonBirthDate": "2026-09-02"}),
    ("IDS101Referral", {"SourceOfReferralIAPT": "gp"}),
    ("IDS101Referral", {"SourceOfReferralIAPT": "H2", "_source": "acute"}),  # nearest code: a warning
    ("IDS101Referral", {"ServDischDate": "2026-08-01"}),
    ("IDS101Referral", {"EndCode": ""}),
    ("IDS101Referral", {"EndCode": "50"}),
    ("IDS101Referral", {"EndCode": "11"}),
    ("IDS201CareContact", {"CareContDate": "2026-10-25"}),
    ("IDS201CareContact", {"ConsMechanismMH": "03"}),
    ("IDS201CareContact", {"AppType": None}),
    ("IDS201CareContact", {"ServiceRequestId": "r-missing"}),
    ("IDS603PresentingComplaints", {"PresComp": "Z99"}),
    ("IDS607CodedScoreAssessmentAct", {"PersScore": "28"}),
    ("IDS607CodedScoreAssessmentAct", {"PersScore": "x"}),
    ("IDS607CodedScoreAssessmentAct", {"CodedAssToolType": "LOCAL:WSAS", "PersScore": "41"}),
    ("IDS607CodedScoreAssessmentAct", {"CareActId": "9-1"}),
    ("IDS202CareActivity", {"CodeProcAndProcStatus": "12345"}),
]


def _month(rng: random.Random, n: int) -> dict[str, list[dict]]:
    """n copies of the clean month's patient and referral, each with its own ids,
    about a third of them with one fault."""
    clean = _clean()
    tables: dict[str, list[dict]] = {name: [] for name in clean}
    tables["IDS000Header"] = clean["IDS000Header"]
    for i in range(n):
        one = copy.deepcopy(clean)
        for name, rows in one.items():
            if name == "IDS000Header":
                continue
            for row in rows:
                for key in ("LocalPatientId", "ServiceRequestId", "CareContactId", "CareActId"):
                    if key in row:
                        row[key] = f"{row[key]}-{i}"
            tables[name].extend(rows)
        if rng.random() < 0.35:
            name, change = rng.choice(FAULTS)
            target = rng.choice(tables[name][-len(one[name]) :])
            target.update({k: (f"{v}-{i}" if k in ("ServiceRequestId", "CareActId") else v) for k, v in change.items()})
    return tables


def test_batches_find_what_rows_one_at_a_time_find():
    tables = _month(random.Random(17), 400)
    one_by_one, batched = Validator(), Validator()
    for table in spec.TABLES:
        rows = tables.get(table.name, [])
        for row in rows:
            one_by_one.row(table.name, row)
        for start in range(0, len(rows), 7):
            batched.rows_of(table.name, rows[start : start + 7])
    expected, found = one_by_one.finish().as_dict(), batched.finish().as_dict()
    assert found == expected
    rules = {c["rule"] for c in expected["counts"] if c["severity"] == "error"}
    assert {"nhs_number", "mandatory", "code_list", "length", "date_order", "end_code", "reference"} <= rules
    assert {"score_range"} <= rules and expected["errors"] > 50
