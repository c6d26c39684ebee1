import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from patients import nhs_number


def independent_is_valid(number: str) -> bool:
    """A second, deliberately different implementation of DOMAIN.md's rule."""
    if len(number) != 10 or not number.isdigit() or number == number[0] * 10:
        return False
    remainder = sum(int(number[i]) * (10 - i) for i in range(9)) % 11
    expected = (11 - remainder) % 11
    return expected != 10 and expected == int(number[9])


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("9434765919", True),
        ("943 476 5919", True),
        ("943-476-5919", True),
        ("9434765918", False),  # DOMAIN.md's invalid example
        ("0000000000", False),  # passes the check but repeated digits are rejected
        ("1111111111", False),
        ("943476591", False),  # nine digits
        ("94347659190", False),  # eleven digits
        ("94347659l9", False),  # a letter
        ("", False),
        ("９４３４７６５９１９", False),  # full-width digits are not ASCII digits
        ("4010232137", True),
        ("4010232138", False),
    ],
)
def test_known_numbers(value, valid):
    assert nhs_number.is_valid(value) is valid


def test_check_digit_of_ten_means_invalid():
    # 000000006: 6 * 2 = 12, 12 mod 11 = 1, 11 - 1 = 10: no check digit can make it valid.
    assert nhs_number.check_digit("000000006") is None
    assert not any(nhs_number.is_valid("000000006" + str(d)) for d in range(10))


@given(st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_agrees_with_independent_implementation(number):
    assert nhs_number.is_valid(number) == independent_is_valid(number)


@given(st.integers(min_value=0, max_value=2**32))
def test_generated_numbers_are_valid_and_in_test_range(seed):
    number = nhs_number.generate(random.Random(seed))
    assert number.startswith("999")
    assert independent_is_valid(number)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_last_digit_or_none_is_valid(first_nine):
    valid_endings = [d for d in range(10) if nhs_number.is_valid(first_nine + str(d))]
    assert len(valid_endings) <= 1
