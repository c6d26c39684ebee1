"""How a person's name is written and found (issue 14 item 4): pure, no Django.

Written: Unicode NFC (a letter and its combining accent become the one
composed character, as most keyboards type it) and every apostrophe-like
character folded to the ASCII apostrophe, so `O’Brien`, `O‘Brien` and `O'Brien`
are stored alike. Found: the database compares a case- and accent-insensitive
key of the stored name with the same key of what was typed (PostgreSQL's
`unaccent` and `lower`, in the SQL function `patient_name_key`, indexed;
patients/migrations/0003_patient_name_search.py)."""

from __future__ import annotations

import unicodedata

# Right and left single quotation marks, modifier letter apostrophe, modifier
# prime, prime, grave and acute accents typed as apostrophes, reversed quotation
# mark, fullwidth apostrophe.
APOSTROPHES = "\u2019\u2018\u02bc\u02b9\u2032\u0060\u00b4\u201b\uff07"
_FOLD = str.maketrans(dict.fromkeys(APOSTROPHES, "'"))


def normalise_name(value: str) -> str:
    """The name as stored: NFC, apostrophes folded, surrounding and repeated
    spaces removed. Idempotent: normalise_name(normalise_name(x)) == normalise_name(x)."""
    text = " ".join((value or "").translate(_FOLD).split())
    return unicodedata.normalize("NFC", text)
