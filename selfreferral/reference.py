"""The reference a person is given (issue 20 item 1): 8 characters from an
alphabet without look-alikes (no 0/O, 1/I/L), drawn by `secrets`, so it is not
guessable (31^8, about 8.5 x 10^11) and says nothing about the person or the row."""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """'SR-' + 4 + '-' + 4 characters, e.g. SR-7KQM-2XDA (12 characters)."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"SR-{body[:4]}-{body[4:]}"
