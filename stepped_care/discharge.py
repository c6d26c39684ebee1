"""When a referral may end, and with which end code: pure rules, no Django
(issue 14 item 2). The services (stepped_care/services.py) gather the facts
from the record and apply these when a discharge is proposed and again when the
supervisor confirms it.

Sources: DOMAIN.md "Referrals and their codes" (end code groups: not seen 50;
seen not treated 10-17; seen and treated 46-49; 95/96 not known) and
"Outcomes" (treatment appointments are types 02, 03, 05 attended on time or
late but seen, codes 5 and 6)."""

from __future__ import annotations

from datetime import date

NOT_SEEN = frozenset({"50"})
SEEN_NOT_TREATED = frozenset({"10", "11", "12", "13", "14", "16", "17"})
SEEN_AND_TREATED = frozenset({"46", "47", "48", "49"})


def end_date_error(ended_on: date, *, received_on: date, last_contact_on: date | None, today: date) -> str | None:
    """The end date lies between the last recorded contact (any contact: a later
    contact would fall outside the course it belongs to) and today, and not
    before the referral was received. None when it does; else the message."""
    if ended_on > today:
        return "A discharge cannot take effect in the future: propose it on or after the last appointment."
    if ended_on < received_on:
        return f"The end date cannot be before the referral was received ({received_on:%d/%m/%Y})."
    if last_contact_on is not None and ended_on < last_contact_on:
        return (
            f"A contact is recorded on {last_contact_on:%d/%m/%Y}, after this end date: "
            "the end date is on or after the last recorded contact."
        )
    return None


def end_code_error(end_code: str, *, attended_any: bool, attended_treatment: bool) -> str | None:
    """The end code agrees with the contacts: seen and treated (46-49) needs an
    attended treatment appointment; not seen (50) needs no attended contact at
    all; seen but not treated (10-17) needs no attended treatment appointment.
    95/96 (not known) agree with anything. None when it agrees; else the message."""
    if end_code in SEEN_AND_TREATED and not attended_treatment:
        return (
            f"End code {end_code} means seen and treated, but no attended treatment appointment is recorded: "
            "record it first, or choose a code for a person not treated."
        )
    if end_code in NOT_SEEN and attended_any:
        return "End code 50 means not seen, but an attended contact is recorded: choose a code for a person seen."
    if end_code in SEEN_NOT_TREATED and attended_treatment:
        return (
            f"End code {end_code} means seen but not treated, but an attended treatment appointment is recorded: "
            "choose a code for a person treated (46-49)."
        )
    return None
