"""The reader of NHS England's returned extracts (dataset/returns.py), on a sample
the test writes in the shape the derived field names give: it finds every
referral where the national derivation differs from the product's."""

import io
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from dataset import services
from dataset.derivations import derive
from dataset.extract import read_extract
from dataset.returns import compare, read_return
from tests.dataset.test_submission import manager  # noqa: F401 - the fixture
from tests.reports.factories import Case, Visit, build


def _xml(records: dict[str, dict[str, str]]) -> bytes:
    rows = "".join(
        "<Referral>"
        + f"<ServiceRequestId>{rid}</ServiceRequestId>"
        + "".join(f"<{k}>{v}</{k}>" for k, v in fields.items())
        + "</Referral>"
        for rid, fields in records.items()
    )
    return f'<?xml version="1.0"?><IAPTReturn xmlns="urn:example"><Referrals>{rows}</Referrals></IAPTReturn>'.encode()


def test_reads_records_wherever_they_sit_and_ignores_namespaces():
    records = read_return(io.BytesIO(_xml({"abc": {"Recovery_Flag": "True", "PHQ9_FirstScore": "15"}})))
    assert records == {"abc": {"Recovery_Flag": "True", "PHQ9_FirstScore": "15"}}


def test_a_file_that_is_not_xml_is_a_clear_error():
    with pytest.raises(ValueError, match="not an XML file"):
        read_return(io.BytesIO(b"not xml"))


def test_entity_expansion_is_refused():
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    with pytest.raises(Exception):  # noqa: B017 - defusedxml's own refusal
        read_return(io.BytesIO(bomb))


@pytest.mark.django_db
def test_the_command_lists_each_disagreement(manager, tmp_path, capsys, settings):  # noqa: F811
    first = timezone.localdate().replace(day=1)
    start, end = (first - timedelta(days=1)).replace(day=1), first - timedelta(days=1)
    build(
        service=manager.service,
        cases=[
            Case(
                received_on=start,
                ended_on=end,
                visits=[Visit(1, scores={"PHQ9": 15, "GAD7": 12}), Visit(8, scores={"PHQ9": 5, "GAD7": 4})],
            )
        ],
    )
    extract = services.dataset_extract_request(user=manager, year=start.year, month=start.month, reason="Monthly")
    services.dataset_extract_build(extract_id=extract.pk)
    extract.refresh_from_db()
    derived = derive(read_extract(Path(settings.EXPORT_ROOT) / extract.file_path))
    ((rid, ours),) = derived.items()
    assert ours.Recovery_Flag is True
    national = {
        rid: {
            "CompletedTreatment_Flag": "True",
            "Recovery_Flag": "False",  # NHS England disagrees here
            "TherapySession_FirstDate": ours.TherapySession_FirstDate.isoformat(),
            "PHQ9_FirstScore": "15",
        },
        "someoneelse": {"Recovery_Flag": "True"},
    }
    assert [(d.field, d.national, d.product) for d in compare(national, derived)] == [
        ("Recovery_Flag", False, True),
        ("record", "present", "absent"),
    ]
    path = tmp_path / "return.xml"
    path.write_bytes(_xml(national))
    with pytest.raises(SystemExit) as exit_:
        call_command("compare_national_return", str(path), extract=str(extract.pk))
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert f"{rid}\tRecovery_Flag\tNHS England: False\tproduct: True" in out
    assert "2 difference(s)" in out
    assert date.fromisoformat(national[rid]["TherapySession_FirstDate"]) == ours.TherapySession_FirstDate
