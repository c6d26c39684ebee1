"""The national code lists of the NHS Talking Therapies data set (IAPT v2.1,
DAPB1520), the one home of each list the product stores (DOMAIN.md "The national
data set", "Referrals and their codes").

Versioned reference data, no Django imports: the model choices (patients/codes.py,
the contact codes), the forms, the API and the monthly extract (dataset/codes.py)
all read these dicts, and a stored value *is* the national code, so the extract
writes what is stored. A change of a list is one edit here, a new CODES_VERSION
and, where stored values change, a data migration (docs/decisions/022).

Each list is `{code: label}`. `UNCONFIRMED[list]` holds the codes (or labels)
that public sources do not confirm: they are marked so here and listed by the
validation report until checked in the Technical Output Specification (TOS)."""

from __future__ import annotations

from dataclasses import dataclass

CODES_VERSION = "2026.11.2"

# SourceOfReferralIAPT. Labels of E1-E6, F1-F3 and G1-G3 (DOMAIN.md gives only the
# groups) are taken from the NHS Data Dictionary and marked unconfirmed.
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

# IDS201 AppType (DOMAIN.md); treatment appointments are 02, 03 and 05.
APPOINTMENT_TYPE = {
    "01": "Assessment",
    "02": "Treatment",
    "03": "Assessment and treatment",
    "04": "Review without treatment",
    "05": "Review and treatment",
    "06": "Other",
    "10": "Employment support",
}
# IDS201 AttendOrDNACode.
ATTENDANCE = {
    "5": "Attended on time",
    "6": "Arrived late and was seen",
    "7": "Arrived late and could not be seen",
    "3": "Did not attend",
    "2": "Cancelled by the patient",
    "4": "Cancelled by the provider",
}
# IDS201 ConsMechanismMH.
CONSULTATION_MECHANISM = {
    "01": "Face to face",
    "02": "Telephone",
    "04": "Talk type (for a person unable to speak)",
    "05": "Email",
    "09": "Text message",
    "10": "Instant messaging",
    "11": "Video",
    "12": "Message board",
    "13": "Chat room",
    "98": "Other",
}
# IDS101 EndCode.
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
# IDS001 Gender (person stated gender code).
STATED_GENDER = {"1": "Male", "2": "Female", "9": "Indeterminate", "X": "Not known"}
# IDS001 GenderIdentity (NHS Data Dictionary GENDER IDENTITY CODE).
GENDER_IDENTITY = {
    "1": "Male (including trans man)",
    "2": "Female (including trans woman)",
    "3": "Non-binary",
    "4": "Other (not listed)",
    "X": "Not known",
    "Z": "Not stated (asked but no answer given)",
}
# IDS001 EthnicCategory (NHS Data Dictionary, 2001 census classification).
ETHNIC_CATEGORY = {
    "A": "White: British",
    "B": "White: Irish",
    "C": "White: Any other White background",
    "D": "Mixed: White and Black Caribbean",
    "E": "Mixed: White and Black African",
    "F": "Mixed: White and Asian",
    "G": "Mixed: Any other mixed background",
    "H": "Asian or Asian British: Indian",
    "J": "Asian or Asian British: Pakistani",
    "K": "Asian or Asian British: Bangladeshi",
    "L": "Asian or Asian British: Any other Asian background",
    "M": "Black or Black British: Caribbean",
    "N": "Black or Black British: African",
    "P": "Black or Black British: Any other Black background",
    "R": "Other ethnic groups: Chinese",
    "S": "Other ethnic groups: Any other ethnic group",
    "Z": "Not stated",
    "99": "Not known",
}
NHS_NUMBER_STATUS = {"01": "Number present and verified", "02": "Number present but not traced"}
# IDS001 LanguageCodePreferred: ISO 639-1 codes of the languages most often needed
# by English services (the field is an(4); which code system the TOS wants is to
# confirm, so the whole list is unconfirmed). Extend here, with a new version.
PREFERRED_LANGUAGE = {
    "en": "English",
    "ar": "Arabic",
    "bn": "Bengali",
    "zh": "Chinese",
    "fa": "Persian (Farsi)",
    "fr": "French",
    "gu": "Gujarati",
    "it": "Italian",
    "ku": "Kurdish",
    "lt": "Lithuanian",
    "pa": "Panjabi",
    "pl": "Polish",
    "ps": "Pashto",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "so": "Somali",
    "es": "Spanish",
    "ta": "Tamil",
    "ti": "Tigrinya",
    "tr": "Turkish",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "cy": "Welsh",
    "sgn": "Sign language (BSL)",
}
# IDS004 EmployStatus (NHS Data Dictionary EMPLOYMENT STATUS).
EMPLOYMENT_STATUS = {
    "01": "Employed",
    "02": "Unemployed and seeking work",
    "03": "Student",
    "04": "Long-term sick or disabled",
    "05": "Looking after the family or home",
    "06": "Not receiving benefits and not working or seeking work",
    "07": "Unpaid voluntary work",
    "08": "Retired",
    "ZZ": "Not stated",
}
# IDS602 LongTermCondition as SNOMED CT clinical findings: the conditions NHS
# Talking Therapies services integrated with physical health care see most. The
# concepts are SNOMED CT's; which ones the TOS lists is to confirm.
LONG_TERM_CONDITION = {
    "73211009": "Diabetes mellitus",
    "13645005": "Chronic obstructive pulmonary disease",
    "195967001": "Asthma",
    "53741008": "Coronary heart disease",
    "84114007": "Heart failure",
    "38341003": "Hypertension",
    "230690007": "Stroke",
    "82423001": "Chronic pain",
    "10743008": "Irritable bowel syndrome",
    "52702003": "Chronic fatigue syndrome",
    "84757009": "Epilepsy",
    "24700007": "Multiple sclerosis",
    "363346000": "Cancer",
    "3723001": "Arthritis",
}

# IDS202 therapy type as SNOMED CT procedure codes, grouped as NHS England groups
# them (DOMAIN.md). Only the labelled ones are named there; the rest are shown by
# group and code, marked unconfirmed, until the TOS SNOMED mapping names them.
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
EMPLOYMENT_SUPPORT = "1098051000000103"
OTHER_LOW_INTENSITY = "1026111000000108"
OTHER_HIGH_INTENSITY = "1026131000000100"
THERAPY_TYPE_NAMED = {
    OTHER_LOW_INTENSITY: "Other low intensity",
    OTHER_HIGH_INTENSITY: "Other high intensity",
    "1127281000000100": "Applied relaxation",
    "1129471000000105": "Couple therapy for depression",
    EMPLOYMENT_SUPPORT: "Employment support",
}
THERAPY_TYPE = {
    **{c: THERAPY_TYPE_NAMED.get(c, f"Low intensity ({c})") for c in THERAPY_TYPE_LOW_INTENSITY},
    **{c: THERAPY_TYPE_NAMED.get(c, f"High intensity ({c})") for c in THERAPY_TYPE_HIGH_INTENSITY},
    EMPLOYMENT_SUPPORT: THERAPY_TYPE_NAMED[EMPLOYMENT_SUPPORT],
}
# The product's interventions (stepped_care/decision_support.py) give the therapy
# type a contact defaults to (sessions migration 0009 fills it so): only couple
# therapy has a named code in DOMAIN.md; the rest fall to "other low / high
# intensity", which the practitioner can change to the exact code.
STEP3_INTERVENTIONS = frozenset({"cbt", "ipt", "ba_hi", "counselling", "couple_therapy", "emdr"})
INTERVENTION_THERAPY_TYPE = {"couple_therapy": "1129471000000105"}


def therapy_type_for(intervention: str) -> str:
    """The SNOMED CT procedure code an intervention code defaults to."""
    if intervention in INTERVENTION_THERAPY_TYPE:
        return INTERVENTION_THERAPY_TYPE[intervention]
    return OTHER_HIGH_INTENSITY if intervention in STEP3_INTERVENTIONS else OTHER_LOW_INTENSITY


@dataclass(frozen=True)
class Tool:
    """An assessment tool's SNOMED CT code for IDS606/IDS607. `code` is the SNOMED
    CT concept, or 'LOCAL:<key>' where none is confirmed: such scores still travel
    in the extract and the validation report lists them."""

    key: str
    label: str
    code: str
    confirmed: bool


def _local(key: str, label: str) -> Tool:
    return Tool(key, label, f"LOCAL:{key}", False)


# DOMAIN.md: PHQ-9 and GAD-7 totals confirmed as SNOMED CT concepts; WSAS items,
# phobia scales and every ADSM to confirm. Keys are sessions/measures.py codes;
# an item is '<instrument><n>'.
ASSESSMENT_TOOLS = {
    "PHQ9": Tool("PHQ9", "PHQ-9 total score", "720433000", True),
    "GAD7": Tool("GAD7", "GAD-7 total score", "445455005", True),
    "WSAS": _local("WSAS", "WSAS total score"),
    "WSAS1": _local("WSAS1", "WSAS item 1: ability to work"),
    "WSAS2": _local("WSAS2", "WSAS item 2: home management"),
    "WSAS3": _local("WSAS3", "WSAS item 3: social leisure activities"),
    "WSAS4": _local("WSAS4", "WSAS item 4: private leisure activities"),
    "WSAS5": _local("WSAS5", "WSAS item 5: close relationships"),
    "PHOBIA": _local("PHOBIA", "IAPT phobia scales"),
    "PHOBIA1": _local("PHOBIA1", "IAPT phobia scale: social"),
    "PHOBIA2": _local("PHOBIA2", "IAPT phobia scale: agoraphobia"),
    "PHOBIA3": _local("PHOBIA3", "IAPT phobia scale: specific"),
    "SPIN": _local("SPIN", "SPIN total score"),
    "PDSS": _local("PDSS", "PDSS total score"),
    "PCL5": _local("PCL5", "PCL-5 total score"),
    "IESR": _local("IESR", "IES-R total score"),
    "MI": _local("MI", "Mobility Inventory (alone) score"),
    "OCI": _local("OCI", "OCI total score"),
    "HAI": _local("HAI", "HAI (short) total score"),
}

# What public sources do not confirm, per list (DOMAIN.md "*confirm*"): listed by
# the validation report and the decision record until checked in the TOS.
UNCONFIRMED = {
    "source_of_referral": frozenset({"E1", "E2", "E3", "E4", "E5", "E6", "F1", "F2", "F3", "G1", "G2", "G3"}),
    "gender_identity": frozenset(GENDER_IDENTITY),
    "preferred_language": frozenset(PREFERRED_LANGUAGE),
    "employment_status": frozenset(EMPLOYMENT_STATUS),
    "long_term_condition": frozenset(LONG_TERM_CONDITION),
    "nhs_number_status": frozenset(NHS_NUMBER_STATUS),
    "therapy_type": frozenset(set(THERAPY_TYPE) - set(THERAPY_TYPE_NAMED)),
    "assessment_tool": frozenset(t.code for t in ASSESSMENT_TOOLS.values() if not t.confirmed),
}

CODE_LISTS = {
    "source_of_referral": SOURCE_OF_REFERRAL,
    "consultation_mechanism": CONSULTATION_MECHANISM,
    "appointment_type": APPOINTMENT_TYPE,
    "attendance": ATTENDANCE,
    "end_code": END_CODE,
    "stated_gender": STATED_GENDER,
    "gender_identity": GENDER_IDENTITY,
    "ethnic_category": ETHNIC_CATEGORY,
    "nhs_number_status": NHS_NUMBER_STATUS,
    "preferred_language": PREFERRED_LANGUAGE,
    "employment_status": EMPLOYMENT_STATUS,
    "long_term_condition": LONG_TERM_CONDITION,
    "therapy_type": THERAPY_TYPE,
}


def is_confirmed(list_name: str, code: str) -> bool:
    """Whether a code of a list is confirmed by public sources (False for a code
    marked to confirm in the TOS)."""
    return code not in UNCONFIRMED.get(list_name, frozenset())


def choices(codes: dict[str, str], *, with_code: bool = True) -> list[tuple[str, str]]:
    """(code, label) pairs for a form or serializer: 'B1 Self-referral'."""
    return [(code, f"{code} {label}" if with_code else label) for code, label in codes.items()]


def unconfirmed_codes() -> dict[str, list[str]]:
    """Every code still marked unconfirmed, list by list (the closing note, the
    validation report's reference section)."""
    return {name: sorted(codes) for name, codes in UNCONFIRMED.items()}
