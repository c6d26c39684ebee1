"""Export cells and memory: pseudonyms, formula safety, and flat memory as an
export grows (streamed from a server-side cursor, never built in memory)."""

import hashlib
import hmac
import tracemalloc
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from reports import exports
from reports.selectors import ReportScope
from tests.factories import ServiceFactory

from .factories import Case, Visit, build

PERIOD = (date(2026, 4, 1), date(2026, 6, 30))


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+44 7700", "'+44 7700"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("North team", "North team"),
        ("", ""),
        (-2, -2),  # numbers stay numbers
        (None, None),
    ],
)
def test_safe_cell(value, safe):
    assert exports.safe_cell(value) == safe


def test_pseudonyms_are_keyed_stable_and_not_the_number():
    a = exports.pseudonymise("9434765919", key="one")
    assert a == exports.pseudonymise("9434765919", key="one")
    assert a != exports.pseudonymise("9434765919", key="two")
    assert a != exports.pseudonymise("9434765910", key="one")
    assert len(a) == len("v1-") + 64 and "9434765919" not in a
    with pytest.raises(ImproperlyConfigured):
        exports.pseudonymise("9434765919", key="")


def _dataset(n: int):
    service = ServiceFactory()
    cases = [
        Case(
            received_on=date(2026, 4, 6),
            ended_on=date(2026, 5, 1),
            family_name=f"Memory{k}",
            visits=[
                Visit(0, "01", scores={"PHQ9": 14, "GAD7": 11}),
                Visit(7, "02", scores={"PHQ9": 9, "GAD7": 6}),
                Visit(14, "02", scores={"PHQ9": 4, "GAD7": 3}),
            ],
        )
        for k in range(n)
    ]
    build(service=service, cases=cases)
    return ReportScope(service=service, team=None, date_from=PERIOD[0], date_to=PERIOD[1])


def _peak(consume) -> tuple[int, int]:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = consume()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, result


def _stream_csv(scope):
    written = 0
    for chunk in exports.csv_chunks(exports.iter_records(scope, chunk_size=100), identifiable=False, flush_bytes=8192):
        written += chunk.count("\n")
    return written - 1


def _stream_xlsx(scope, path):
    writer = exports.XlsxWriter(path)
    try:
        return writer.write_records(exports.iter_records(scope, chunk_size=100), identifiable=False)
    finally:
        writer.close()


@pytest.mark.django_db
def test_export_memory_stays_flat_as_the_export_grows(tmp_path):
    # given N and 4N referrals
    small, large = _dataset(300), _dataset(1200)
    # the test can see growth: materialising the rows grows with them
    listed_small, _ = _peak(lambda: len(list(exports.iter_records(small, chunk_size=100))))
    listed_large, _ = _peak(lambda: len(list(exports.iter_records(large, chunk_size=100))))
    assert listed_large > 2.5 * listed_small
    # when the CSV is streamed, and the XLSX written in constant-memory mode
    # (after one warm-up run, so imports and first-use caches are not counted)
    _stream_csv(small)
    _stream_xlsx(small, tmp_path / "warm-up.xlsx")
    csv_small, rows_small = _peak(lambda: _stream_csv(small))
    csv_large, rows_large = _peak(lambda: _stream_csv(large))
    xlsx_small, _ = _peak(lambda: _stream_xlsx(small, tmp_path / "small.xlsx"))
    xlsx_large, xlsx_rows = _peak(lambda: _stream_xlsx(large, tmp_path / "large.xlsx"))
    # then every row is written, and the peak barely moves
    assert (rows_small, rows_large, xlsx_rows) == (300, 1200, 1200)
    slack = 256 * 1024
    assert csv_large <= csv_small * 1.25 + slack, (csv_small, csv_large)
    assert xlsx_large <= xlsx_small * 1.25 + slack, (xlsx_small, xlsx_large)
    assert csv_large < listed_large / 2


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (True, "1"),
        (False, "0"),
        (Decimal("12.50"), "12.5"),
        (date(2026, 4, 6), "2026-04-06"),
        (3, "3"),
        (-2, "'-2"),
        ("=1+2", "'=1+2"),
        ("North team", "North team"),
    ],
)
def test_csv_text_by_type(value, text):
    # the per-type lookup (bench: issue 8) gives what the general path gives
    assert exports._csv_text(value) == text


def test_pseudonym_is_the_plain_hmac_after_its_key_version(settings):
    settings.PSEUDONYMISATION_KEY_VERSION = "1"
    expected = "v1-" + hmac.new(b"one", b"nhs_number:9434765919", hashlib.sha256).hexdigest()
    assert exports.pseudonymise("9434765919", key="one") == expected
    assert exports.pseudonymise("9434765919", key="one") == expected  # from the cached keyed state
