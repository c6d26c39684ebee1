"""Scoring rules (DOMAIN.md "Measures"): every band and caseness boundary, ranges, incompleteness."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sessions import measures


def items_for(code, total):
    i = measures.INSTRUMENTS[code]
    out, remaining = [], total
    for _ in range(i.item_count):
        value = min(i.item_max, remaining)
        out.append(value)
        remaining -= value
    assert remaining == 0
    return out


@pytest.mark.parametrize(
    ("code", "total", "band"),
    [
        ("PHQ9", 0, "minimal"),
        ("PHQ9", 4, "minimal"),
        ("PHQ9", 5, "mild"),
        ("PHQ9", 9, "mild"),
        ("PHQ9", 10, "moderate"),
        ("PHQ9", 14, "moderate"),
        ("PHQ9", 15, "moderately severe"),
        ("PHQ9", 19, "moderately severe"),
        ("PHQ9", 20, "severe"),
        ("PHQ9", 27, "severe"),
        ("GAD7", 4, "minimal"),
        ("GAD7", 5, "mild"),
        ("GAD7", 9, "mild"),
        ("GAD7", 10, "moderate"),
        ("GAD7", 14, "moderate"),
        ("GAD7", 15, "severe"),
        ("GAD7", 21, "severe"),
        ("WSAS", 9, "subclinical"),
        ("WSAS", 10, "significant impairment"),
        ("WSAS", 20, "significant impairment"),
        ("WSAS", 21, "moderately severe or worse"),
    ],
)
def test_bands_at_every_boundary(code, total, band):
    assert measures.score(code, items_for(code, total)).band == band


@pytest.mark.parametrize(
    ("code", "below", "at"),
    [
        ("PHQ9", 9, 10),
        ("GAD7", 7, 8),
        ("SPIN", 18, 19),
        ("PDSS", 7, 8),
        ("PCL5", 31, 32),
        ("IESR", 32, 33),
        ("OCI", 39, 40),
        ("HAI", 17, 18),
    ],
)
def test_caseness_boundaries(code, below, at):
    assert measures.score(code, items_for(code, below)).caseness is False
    assert measures.score(code, items_for(code, at)).caseness is True


def test_mobility_inventory_is_a_mean_with_a_strict_cutoff():
    # 27 items; mean 2.30 is not caseness (> 2.3 is), 2.33 is.
    at_cutoff = [2] * 19 + [3] * 8  # mean 62/27 = 2.296 -> 2.3
    assert measures.score("MI", at_cutoff).total == 2.3
    assert measures.score("MI", at_cutoff).caseness is False
    above = [2] * 18 + [3] * 9  # 63/27 = 2.333
    assert measures.score("MI", above).total == 2.33 and measures.score("MI", above).caseness is True


def test_phobia_scales_are_each_item_alone():
    assert measures.score("PHOBIA", [3, 3, 3]).caseness is False
    assert measures.score("PHOBIA", [0, 4, 0]).caseness is True
    assert measures.score("PHOBIA", [0, 4, 0]).total is None


@pytest.mark.parametrize(
    ("code", "items", "message"),
    [
        ("PHQ9", [0] * 8, "9 items"),
        ("PHQ9", [0] * 8 + [4], "item 9"),
        ("GAD7", [-1] + [0] * 6, "item 1"),
        ("MI", [0] * 27, "item 1"),
        ("PHQ9", [0.5] + [0] * 8, "whole number"),
        ("PHQ9", [True] + [0] * 8, "whole"),
    ],
)
def test_bad_items_raise_a_clear_error(code, items, message):
    with pytest.raises(ValueError, match=message):
        measures.score(code, items)


def test_unknown_instrument():
    with pytest.raises(ValueError, match="Unknown measure"):
        measures.score("XYZ", [1])


def test_a_missing_item_makes_the_measure_incomplete_never_zero():
    result = measures.score("PHQ9", [3, 3, 3, None, 3, 3, 3, 3, 0])
    assert result.complete is False and result.total is None and result.caseness is None and result.band is None


def test_item9_risk():
    assert measures.score("PHQ9", [0] * 8 + [1]).item9_risk
    assert not measures.score("PHQ9", [3] * 8 + [0]).item9_risk
    assert measures.score("PHQ9", [None] * 8 + [2]).item9_risk  # risk counts even when incomplete


@pytest.mark.parametrize(
    ("descriptor", "instrument"),
    [
        ("F32", "GAD7"),
        ("F33", "GAD7"),
        ("F411", "GAD7"),
        ("F412", "GAD7"),
        ("F400", "MI"),
        ("F401", "SPIN"),
        ("F410", "PDSS"),
        ("F42", "OCI"),
        ("F431", "PCL5"),
        ("F452", "HAI"),
        ("F402", "GAD7"),
        ("", "GAD7"),
    ],
)
def test_anxiety_instrument_for_each_descriptor(descriptor, instrument):
    assert measures.anxiety_instrument_for(descriptor) == instrument


@given(st.sampled_from(sorted(measures.INSTRUMENTS)), st.data())
def test_total_is_the_sum_or_mean_and_caseness_agrees(code, data):
    i = measures.INSTRUMENTS[code]
    items = data.draw(st.lists(st.integers(i.item_min, i.item_max), min_size=i.item_count, max_size=i.item_count))
    result = measures.score(code, items)
    assert result.complete
    if i.scoring == "sum":
        assert result.total == sum(items)
        assert 0 <= result.total <= i.max_total
    elif i.scoring == "mean":
        assert result.total == round(sum(items) / len(items), 2)
    if i.cutoff is not None and i.scoring != "items":
        assert result.caseness == measures.is_caseness(code, result.total)


@given(st.lists(st.one_of(st.none(), st.integers(0, 3)), min_size=9, max_size=9))
def test_any_missing_phq9_item_means_no_total(items):
    result = measures.score("PHQ9", items)
    assert (result.total is None) == (None in items)
