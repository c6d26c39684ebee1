"""The benchmarks (bench/cases.py) at a small size: what they check, never how
long they take (timing belongs to `make bench`)."""

import pytest
from django.test.utils import override_settings

from bench import cases, synthetic


@pytest.fixture
def year(db):
    synthetic.generate(referrals=3000, seed=5, heavy_caseload=250)


@pytest.fixture
def bench_urls():
    with override_settings(ROOT_URLCONF="bench.urls"):
        yield


def test_flag_job_matches_the_hand_written_flags_and_a_second_run_changes_nothing(year):
    result = cases.bench_flags()
    assert result["flags"] > 0
    assert result["same_flags_as_reference"]
    assert result["second_run_changes"] == 0
    assert result["hourly_run_cases"] > 0 and result["hourly_run_changes"] == 0  # re-saved unchanged
    assert 0.03 <= result["overdue_share"] <= 0.2


def test_supervisor_dashboard_reads_referrals_by_index(year, bench_urls):
    cases.bench_flags()  # raises the flags the dashboard lists
    result = cases.bench_dashboard()
    assert result["rows"] > 0
    assert result["uses_index"], result["referral_access"]
    assert result["no_seq_scan_of_referrals"], result["seq_scans"]


def test_caseload_and_record_queries_do_not_grow(year, bench_urls):
    result = cases.bench_caseload_and_record()
    assert result["caseload"]["open_cases"] == 250 > result["caseload"]["small_caseload_cases"]
    assert result["caseload"]["constant_queries"]
    assert result["record"]["sessions"] >= 15 > result["record"]["small_record_sessions"]
    assert result["record"]["constant_queries"]
    # the first page and the whole caseload, each also against its static page:
    # the same template and rows with no SQL beyond the session and the user
    assert result["caseload"]["rows_shown"] == 50 and result["caseload_all"]["rows_shown"] == 250
    assert result["caseload_all"]["constant_queries"]
    for name in ("caseload", "caseload_all", "record"):
        assert result[name]["static_queries"] == 2 < result[name]["queries"], name
        assert result[name]["static_reference"] > 0 and result[name]["ratio_to_static"] > 0


def test_session_logging_posts_without_errors(year, bench_urls):
    result = cases.bench_logging(5)
    assert result["logging"]["posts"] >= 3 and result["logging"]["errors"] == 0
    # 6b: the same POST with the not-on-track check on and off, paired, without errors
    for name in ("logging_not_on_track", "logging_not_on_track_kept"):
        assert result[name]["pairs"] > 0 and result[name]["errors"] == 0, name
