"""National codes used on referrals (DOMAIN.md "Referrals and their codes"), abridged.

Kept as data so a change of the national definitions is one edit here (and a
data migration where stored values change)."""

from django.db import models

from . import national_codes


def _coded(codes: dict[str, str], code: str) -> str:
    """The label a form shows: the national code and its national label."""
    return f"{code} {codes[code]}"


def _source(code: str) -> str:
    return _coded(national_codes.SOURCE_OF_REFERRAL, code)


class ProblemDescriptor(models.TextChoices):
    DEPRESSION = "F32", "F32 Depressive episode"
    RECURRENT_DEPRESSION = "F33", "F33 Recurrent depressive disorder"
    AGORAPHOBIA = "F400", "F40.0 Agoraphobia"
    SOCIAL_PHOBIA = "F401", "F40.1 Social phobia"
    SPECIFIC_PHOBIA = "F402", "F40.2 Specific phobia"
    PANIC = "F410", "F41.0 Panic disorder"
    GAD = "F411", "F41.1 Generalised anxiety disorder"
    MIXED = "F412", "F41.2 Mixed anxiety and depressive disorder"
    OCD = "F42", "F42 Obsessive-compulsive disorder"
    PTSD = "F431", "F43.1 Post-traumatic stress disorder"
    HEALTH_ANXIETY = "F452", "F45.2 Health anxiety (hypochondriacal disorder)"
    # The groups NHS England reports besides the named ones (patients/presenting.py):
    # "other F40-F43" ...
    OTHER_PHOBIC = "F408", "F40.8 Other phobic anxiety disorders"
    OTHER_MIXED_ANXIETY = "F413", "F41.3 Other mixed anxiety disorders"
    OTHER_ANXIETY = "F418", "F41.8 Other specified anxiety disorders"
    ANXIETY_UNSPECIFIED = "F419", "F41.9 Anxiety disorder, unspecified"
    ACUTE_STRESS = "F430", "F43.0 Acute stress reaction"
    ADJUSTMENT = "F432", "F43.2 Adjustment disorders"
    OTHER_STRESS_REACTION = "F438", "F43.8 Other reactions to severe stress"
    # ... "other mental health problem" ...
    DYSTHYMIA = "F341", "F34.1 Dysthymia"
    SOMATISATION = "F450", "F45.0 Somatisation disorder"
    SOMATOFORM_PAIN = "F454", "F45.4 Persistent somatoform pain disorder"
    BULIMIA = "F502", "F50.2 Bulimia nervosa"
    INSOMNIA = "F510", "F51.0 Nonorganic insomnia"
    # ... and "unspecified".
    UNSPECIFIED = "F99", "F99 Mental disorder, not otherwise specified"


class PresentingProblemType(models.TextChoices):
    """PresCompType of IDS603 (dataset/spec.py; the values to confirm in the TOS)."""

    PRIMARY = "P", "Primary"
    SECONDARY = "S", "Secondary"


class ReferralSource(models.TextChoices):
    """SourceOfReferralIAPT, stored as the national code (patients/national_codes.py
    holds the list and its labels; migration 0006 mapped the local values). The
    member names of the local list are kept, but for ACUTE: Django's choices must
    be unique, and its nearest national code is SECONDARY_CARE's (H2)."""

    GP = "A1", _source("A1")
    HEALTH_VISITOR = "A2", _source("A2")
    OTHER_PRIMARY_CARE = "A3", _source("A3")
    MATERNITY = "A4", _source("A4")
    SELF = "B1", _source("B1")
    CARER_OR_RELATIVE = "B2", _source("B2")
    SOCIAL_SERVICES = "C1", _source("C1")
    EDUCATION = "C2", _source("C2")
    HOUSING = "C3", _source("C3")
    EMPLOYER = "D1", _source("D1")
    OCCUPATIONAL_HEALTH = "D2", _source("D2")
    POLICE = "E1", _source("E1")
    COURTS = "E2", _source("E2")
    PROBATION = "E3", _source("E3")
    PRISON = "E4", _source("E4")
    COURT_LIAISON_AND_DIVERSION = "E5", _source("E5")
    YOUTH_OFFENDING_TEAM = "E6", _source("E6")
    SCHOOL_NURSE = "F1", _source("F1")
    HOSPITAL_PAEDIATRICS = "F2", _source("F2")
    COMMUNITY_PAEDIATRICS = "F3", _source("F3")
    INDEPENDENT_MEDIUM_SECURE = "G1", _source("G1")
    INDEPENDENT_LOW_SECURE = "G2", _source("G2")
    INDEPENDENT_OTHER_MENTAL_HEALTH = "G3", _source("G3")
    VOLUNTARY = "G4", _source("G4")
    EMERGENCY_DEPARTMENT = "H1", _source("H1")
    SECONDARY_CARE = "H2", _source("H2")
    TEMPORARY_TRANSFER_MENTAL_HEALTH_TRUST = "I1", _source("I1")
    PERMANENT_TRANSFER_MENTAL_HEALTH_TRUST = "I2", _source("I2")
    ASYLUM = "M1", _source("M1")
    TELEPHONE_OR_ELECTRONIC_ACCESS = "M2", _source("M2")
    OUT_OF_AREA = "M3", _source("M3")
    DRUG_TEAM = "M4", _source("M4")
    JOBCENTRE_PLUS = "M5", _source("M5")
    OTHER = "M6", _source("M6")
    SINGLE_POINT_OF_ACCESS = "M7", _source("M7")
    DEBT_AGENCY = "M8", _source("M8")
    STEPPED_UP = "N1", _source("N1")
    STEPPED_DOWN = "N2", _source("N2")
    OTHER_TALKING_THERAPIES_SERVICE = "N4", _source("N4")
    INTERNAL = "P1", _source("P1")
    DROP_IN = "Q1", _source("Q1")


class ReferralStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    ASSESSED = "assessed", "Assessed, awaiting step decision"
    WAITING = "waiting", "Waiting for treatment"
    IN_TREATMENT = "in_treatment", "In treatment"
    ENDED = "ended", "Ended"


OPEN_STATUSES = (
    ReferralStatus.RECEIVED,
    ReferralStatus.ASSESSED,
    ReferralStatus.WAITING,
    ReferralStatus.IN_TREATMENT,
)


class EndCode(models.TextChoices):
    NOT_ASSESSED = "50", _coded(national_codes.END_CODE, "50")
    NOT_SUITABLE = "10", _coded(national_codes.END_CODE, "10")
    SIGNPOSTED = "11", _coded(national_codes.END_CODE, "11")
    ADVICE = "12", _coded(national_codes.END_CODE, "12")
    REFERRED_ON = "13", _coded(national_codes.END_CODE, "13")
    DECLINED = "14", _coded(national_codes.END_CODE, "14")
    DROPPED_ASSESSMENT = "16", _coded(national_codes.END_CODE, "16")
    DECEASED_UNTREATED = "17", _coded(national_codes.END_CODE, "17")
    COMPLETED = "46", _coded(national_codes.END_CODE, "46")
    ENDED_EARLY_PRACTITIONER = "47", _coded(national_codes.END_CODE, "47")
    ENDED_EARLY_PATIENT = "48", _coded(national_codes.END_CODE, "48")
    DECEASED_TREATED = "49", _coded(national_codes.END_CODE, "49")
    NOT_KNOWN = "95", _coded(national_codes.END_CODE, "95")
    NOT_KNOWN_96 = "96", _coded(national_codes.END_CODE, "96")


END_CODE_GROUPS = {
    "not_seen": {"50"},
    "seen_not_treated": {"10", "11", "12", "13", "14", "16", "17"},
    "seen_and_treated": {"46", "47", "48", "49"},
    "not_known": {"95", "96"},
}


class Sex(models.TextChoices):
    MALE = "1", national_codes.STATED_GENDER["1"]
    FEMALE = "2", national_codes.STATED_GENDER["2"]
    INDETERMINATE = "9", national_codes.STATED_GENDER["9"]
    NOT_KNOWN = "X", national_codes.STATED_GENDER["X"]


class Ethnicity(models.TextChoices):
    """NHS Data Dictionary ethnic category (2001 census classification)."""

    WHITE_BRITISH = "A", national_codes.ETHNIC_CATEGORY["A"]
    WHITE_IRISH = "B", national_codes.ETHNIC_CATEGORY["B"]
    WHITE_OTHER = "C", national_codes.ETHNIC_CATEGORY["C"]
    MIXED_WHITE_BLACK_CARIBBEAN = "D", national_codes.ETHNIC_CATEGORY["D"]
    MIXED_WHITE_BLACK_AFRICAN = "E", national_codes.ETHNIC_CATEGORY["E"]
    MIXED_WHITE_ASIAN = "F", national_codes.ETHNIC_CATEGORY["F"]
    MIXED_OTHER = "G", national_codes.ETHNIC_CATEGORY["G"]
    ASIAN_INDIAN = "H", national_codes.ETHNIC_CATEGORY["H"]
    ASIAN_PAKISTANI = "J", national_codes.ETHNIC_CATEGORY["J"]
    ASIAN_BANGLADESHI = "K", national_codes.ETHNIC_CATEGORY["K"]
    ASIAN_OTHER = "L", national_codes.ETHNIC_CATEGORY["L"]
    BLACK_CARIBBEAN = "M", national_codes.ETHNIC_CATEGORY["M"]
    BLACK_AFRICAN = "N", national_codes.ETHNIC_CATEGORY["N"]
    BLACK_OTHER = "P", national_codes.ETHNIC_CATEGORY["P"]
    CHINESE = "R", national_codes.ETHNIC_CATEGORY["R"]
    OTHER = "S", national_codes.ETHNIC_CATEGORY["S"]
    NOT_STATED = "Z", national_codes.ETHNIC_CATEGORY["Z"]
    NOT_KNOWN = "99", national_codes.ETHNIC_CATEGORY["99"]


class ContactPreference(models.TextChoices):
    TELEPHONE = "telephone", "Telephone"
    FACE_TO_FACE = "face_to_face", "Face to face"
    VIDEO = "video", "Video"
    ONLINE = "online", "Online"


# The enums name the members code uses; the lists themselves are national_codes'.
for _enum, _codes in (
    (ReferralSource, national_codes.SOURCE_OF_REFERRAL),
    (EndCode, national_codes.END_CODE),
    (Sex, national_codes.STATED_GENDER),
    (Ethnicity, national_codes.ETHNIC_CATEGORY),
):
    assert set(_enum.values) == set(_codes), _enum.__name__

GENDER_IDENTITY_CHOICES = national_codes.choices(national_codes.GENDER_IDENTITY, with_code=False)
PREFERRED_LANGUAGE_CHOICES = national_codes.choices(national_codes.PREFERRED_LANGUAGE, with_code=False)
EMPLOYMENT_STATUS_CHOICES = national_codes.choices(national_codes.EMPLOYMENT_STATUS, with_code=False)
LONG_TERM_CONDITION_CHOICES = national_codes.choices(national_codes.LONG_TERM_CONDITION, with_code=False)
