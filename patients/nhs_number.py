"""NHS number validation (DOMAIN.md "Referrals and their codes"): 10 digits,
modulus 11 check digit, repeated-digit numbers rejected. No Django imports."""

import random

WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when the number cannot be valid (remainder gives 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True))
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def normalise(value: str) -> str:
    """Strips the spaces and hyphens people type (943 476 5919)."""
    return "".join(ch for ch in str(value) if ch not in " -")


def is_valid(value: str) -> bool:
    number = normalise(value)
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    if len(set(number)) == 1:
        return False
    return check_digit(number[:9]) == int(number[9])


def generate(rng: random.Random) -> str:
    """A number that passes the check, for synthetic and demo data only.

    Starts with 999 so it can never be a real patient's (the 999 range is
    reserved for testing)."""
    while True:
        body = "999" + "".join(str(rng.randrange(10)) for _ in range(6))
        digit = check_digit(body)
        if digit is not None:
            number = body + str(digit)
            if is_valid(number):
                return number
