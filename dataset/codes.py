"""National code lists of the IAPT Data Set v2.1 and the map from this product's
stored values to them (DOMAIN.md "The national data set", "Referrals and their
codes"). Versioned reference data, no Django imports. An entry with
`confirmed=False` is listed by the validation report until it is checked in the
Technical Output Specification (TOS)."""

from __future__ import annotations

from dataclasses import dataclass

from patients import presenting
from sessions.codes import APPOINTMENT_TYPES, ATTENDANCE

CODES_VERSION = "2026.11"

SOURCE_OF_REFERRAL = {
    "A1": "GP",
    "A2": "Health visitor",
    "A3": "Other primary health care",
    "A4": "Maternity service",
    "B1": "Self-referral",
    "B2": "Carer or relative",
    "C1": "Social services",
    "C2": "Education service",
    "C3": "Housing service",
    "D1": "Employer",
    "D2": "Occupational health",
    "E1": "Justice system: police",
    "E2": "Justice system: courts",
    "E3": "Justice system: probation",
    "E4": "Justice system: prison",
    "E5": "Justice system: court liaison and diversion",
    "E6": "Justice system: youth offending team",
    "F1": "Child health: school nurse",
    "F2": "Child health: hospital-based paediatrics",
    "F3": "Child health: community-based paediatrics",
    "G1": "Independent sector: medium secure inpatients",
    "G2": "Independent sector: low secure inpatients",
    "G3": "Other independent sector mental health services",
    "G4": "Voluntary sector",
    "H1": "Emergency department",
    "H2": "Other secondary care specialty",
    "I1": "Temporary transfer from another mental health trust",
    "I2": "Permanent transfer from another mental health trust",
    "M1": "Asylum services",
    "M2": "Telephone or electronic access service",
    "M3": "Out of area agency",
    "M4": "Drug action team or drug misuse agency",
    "M5": "Jobcentre Plus",
    "M6": "Other service or agency",
    "M7": "Single point of access service",
    "M8": "Debt agency",
    "N1": "Stepped up from low intensity NHS Talking Therapies",
    "N2": "Stepped down from high intensity NHS Talking Therapies",
    "N4": "Other NHS Talking Therapies service",
    "P1": "Internal referral",
    "Q1": "Drop-in service",
}

CONSULTATION_MECHANISM = {
    "01": "Face to face",
    "02": "Telephone",
    "04": "Talk type for a person unable to speak",
    "05": "Email",
    "09": "Text message (asynchronous)",
    "10": "Instant messaging (synchronous)",
    "11": "Video consultation",
    "12": "Message board (asynchronous)",
    "13": "Chat room (synchronous)",
    "98": "Other",
}

APPOINTMENT_TYPE = {**APPOINTMENT_TYPES, "10": "Employment support"}
ATTENDANCE_CODE = dict(ATTENDANCE)
END_CODE = {
    "10": "Not suitable for the service",
    "11": "Signposted elsewhere",
    "12": "Advice and support given",
    "13": "Referred to another therapy service",
    "14": "Declined treatment",
    "16": "Dropped out of assessment",
    "17": "Deceased (seen, not treated)",
    "46": "Mutually agreed completion of treatment",
    "47": "Ended earlier than the practitioner planned",
    "48": "Ended earlier than the patient requested",
    "49": "Deceased (seen and treated)",
    "50": "Not assessed",
    "95": "Not known",
    "96": "Not known (other)",
}
STATED_GENDER = {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}
GENDER_IDENTITY = {"1": "Male", "2": "Female", "3": "Non-binary", "4": "Other", "X": "Not known", "Z": "Not stated"}
ETHNIC_CATEGORY = {
    **{c: c for c in "ABCDEFGHJKLMNPRS"},
    "Z": "Not stated",
    "99": "Not known",
}
NHS_NUMBER_STATUS = {"01": "Number present and verified", "02": "Number present but not traced"}
EMPLOYMENT_STATUS = {
    "01": "Employed",
    "02": "Unemployed and seeking work",
    "03": "Student",
    "04": "Long-term sick or disabled",
    "05": "Looking after the family or home",
    "06": "Not receiving benefits and not working",
    "07": "Unpaid voluntary work",
    "08": "Retired",
    "ZZ": "Not stated",
}
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


@dataclass(frozen=True)
class Tool:
    """An assessment tool's SNOMED CT code for IDS606/IDS607 (DOMAIN.md: PHQ-9 and
    GAD-7 totals confirmed as SNOMED concepts; everything else to confirm)."""

    instrument: str
    code: str
    confirmed: bool


ASSESSMENT_TOOLS = {
    "PHQ9": Tool("PHQ9", "720433000", True),
    "GAD7": Tool("GAD7", "445455005", True),
}


def assessment_tool(instrument: str) -> Tool:
    """The tool for a product instrument code. An instrument without a confirmed
    SNOMED CT code gets a provisional code 'LOCAL:<code>' marked unconfirmed, so
    its scores still travel in the extract and the validation report lists them."""
    return ASSESSMENT_TOOLS.get(instrument) or Tool(instrument, f"LOCAL:{instrument}", False)


def instrument_for_tool(code: str) -> str | None:
    """The product instrument a tool code stands for (None for an unknown code)."""
    for tool in ASSESSMENT_TOOLS.values():
        if tool.code == code:
            return tool.instrument
    if code.startswith("LOCAL:"):
        return code.removeprefix("LOCAL:")
    return None


# Therapy type (IDS202) as SNOMED CT procedure codes, grouped as NHS England groups
# them (DOMAIN.md). Names of most codes are still to confirm in the TOS mapping,
# so the product maps its interventions to the named codes it can be sure of and
# otherwise to "other low / high intensity", marked unconfirmed.
THERAPY_TYPE_LOW_INTENSITY = (
    "748051000000105",
    "748101000000105",
    "748041000000107",
    "748091000000102",
    "748061000000108",
    "199314001",
    "702545008",
    "1026111000000108",
    "975131000000104",
)
THERAPY_TYPE_HIGH_INTENSITY = (
    "1127281000000100",
    "1129471000000105",
    "842901000000108",
    "286711000000107",
    "314034001",
    "449030000",
    "933221000000107",
    "1026131000000100",
    "304891004",
    "443730003",
)
THERAPY_TYPE_EMPLOYMENT_SUPPORT = ("1098051000000103",)
OTHER_LOW_INTENSITY = "1026111000000108"
OTHER_HIGH_INTENSITY = "1026131000000100"
THERAPY_TYPE = {
    **{c: "Low intensity" for c in THERAPY_TYPE_LOW_INTENSITY},
    **{c: "High intensity" for c in THERAPY_TYPE_HIGH_INTENSITY},
    "1098051000000103": "Employment support",
    OTHER_LOW_INTENSITY: "Other low intensity",
    OTHER_HIGH_INTENSITY: "Other high intensity",
    "1127281000000100": "Applied relaxation",
    "1129471000000105": "Couple therapy for depression",
}

STEP3_INTERVENTIONS = frozenset({"cbt", "ipt", "ba_hi", "counselling", "couple_therapy", "emdr"})
# (code, confirmed): only the couple-therapy mapping is named in DOMAIN.md.
INTERVENTION_THERAPY_TYPE = {"couple_therapy": ("1129471000000105", True)}


def therapy_type(intervention: str) -> tuple[str, bool]:
    """(SNOMED CT procedure code, confirmed) for a product intervention code."""
    if intervention in INTERVENTION_THERAPY_TYPE:
        return INTERVENTION_THERAPY_TYPE[intervention]
    return (OTHER_HIGH_INTENSITY if intervention in STEP3_INTERVENTIONS else OTHER_LOW_INTENSITY), False


# This product's stored referral sources mapped to SourceOfReferralIAPT:
# (national code, exact). Inexact maps are the nearest national code and are
# listed by the validation report until the referral is recoded.
LOCAL_SOURCE_OF_REFERRAL = {
    "gp": ("A1", True),
    "self": ("B1", True),
    "primary_care": ("A3", True),
    "secondary_care": ("H2", False),
    "acute": ("H2", False),
    "employer": ("D1", False),
    "voluntary": ("G4", True),
    "other": ("M6", True),
}


def source_of_referral(local: str) -> tuple[str, bool]:
    """(SourceOfReferralIAPT, exact) for a stored source: a stored value that is
    already a national code passes through; an unknown one gives ('', False)."""
    if local in SOURCE_OF_REFERRAL:
        return local, True
    return LOCAL_SOURCE_OF_REFERRAL.get(local, ("", False))


CODE_LISTS = {
    "source_of_referral": SOURCE_OF_REFERRAL,
    "consultation_mechanism": CONSULTATION_MECHANISM,
    "appointment_type": APPOINTMENT_TYPE,
    "attendance": ATTENDANCE_CODE,
    "end_code": END_CODE,
    "stated_gender": STATED_GENDER,
    "gender_identity": GENDER_IDENTITY,
    "ethnic_category": ETHNIC_CATEGORY,
    "nhs_number_status": NHS_NUMBER_STATUS,
    "employment_status": EMPLOYMENT_STATUS,
    "presenting_complaint": PRESENTING_COMPLAINT_GROUPS,
    "therapy_type": THERAPY_TYPE,
}


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
