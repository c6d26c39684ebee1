"""The code lists of the IAPT Data Set v2.1 as the extract and its validation read
them (DOMAIN.md "The national data set", "Referrals and their codes"). The lists
the product stores live in patients/national_codes.py (one home each, versioned
by CODES_VERSION); stored values are national codes, so the extract writes what
is stored (docs/decisions/022). No Django imports. A code marked unconfirmed
there is listed by the validation report until checked in the Technical Output
Specification (TOS)."""

from __future__ import annotations

from patients import presenting
from patients.national_codes import (  # noqa: F401 - the lists, read by the extract and its validation
    APPOINTMENT_TYPE,
    ASSESSMENT_TOOLS,
    ATTENDANCE,
    CODES_VERSION,
    CONSULTATION_MECHANISM,
    EMPLOYMENT_STATUS,
    EMPLOYMENT_SUPPORT,
    END_CODE,
    ETHNIC_CATEGORY,
    GENDER_IDENTITY,
    LONG_TERM_CONDITION,
    NHS_NUMBER_STATUS,
    OTHER_HIGH_INTENSITY,
    OTHER_LOW_INTENSITY,
    PREFERRED_LANGUAGE,
    SOURCE_OF_REFERRAL,
    STATED_GENDER,
    THERAPY_TYPE,
    THERAPY_TYPE_HIGH_INTENSITY,
    THERAPY_TYPE_LOW_INTENSITY,
    Tool,
    is_confirmed,
    therapy_type_for,
    unconfirmed_codes,
)
from patients.national_codes import CODE_LISTS as _STORED_LISTS

ATTENDANCE_CODE = ATTENDANCE

PRESENTING_COMPLAINT_GROUPS = {
    "F32": "Depression",
    "F33": "Depression",
    "F400": "Agoraphobia",
    "F401": "Social phobia",
    "F402": "Specific phobia",
    "F410": "Panic disorder",
    "F411": "Generalised anxiety disorder",
    "F412": "Mixed anxiety and depressive disorder",
    "F42": "Obsessive-compulsive disorder",
    "F431": "Post-traumatic stress disorder",
    "F452": "Hypochondriacal disorders (health anxiety)",
}


def assessment_tool(instrument: str) -> Tool:
    """The tool for a product instrument code. An instrument without a confirmed
    SNOMED CT code gets a provisional code 'LOCAL:<code>' marked unconfirmed, so
    its scores still travel in the extract and the validation report lists them."""
    return ASSESSMENT_TOOLS.get(instrument) or Tool(instrument, instrument, f"LOCAL:{instrument}", False)


def instrument_for_tool(code: str) -> str | None:
    """The product instrument a tool code stands for (None for an unknown code)."""
    for tool in ASSESSMENT_TOOLS.values():
        if tool.code == code:
            return tool.key
    if code.startswith("LOCAL:"):
        return code.removeprefix("LOCAL:")
    return None


CODE_LISTS = {**_STORED_LISTS, "presenting_complaint": PRESENTING_COMPLAINT_GROUPS}


def is_valid(list_name: str, value: str) -> bool:
    """Whether a value is on the named code list. Presenting complaints: the
    product's national list (patients/presenting.py: the named groups and codes of
    'other F40-F43', 'other mental health problem' and 'unspecified'); assessment
    tools any known tool code."""
    if list_name == "presenting_complaint":
        return value in presenting.CODES
    if list_name == "assessment_tool":
        return instrument_for_tool(value) is not None
    return value in CODE_LISTS[list_name]


def presenting_complaint_group(code: str) -> str:
    """The national problem group of an ICD-10 code (DOMAIN.md code lists), as NHS
    England groups it (patients/presenting.py, which cites its source)."""
    return presenting.group_label(code)
