"""National codes used on referrals (DOMAIN.md "Referrals and their codes"), abridged.

Kept as data so a change of the national definitions is one edit here (and a
data migration where stored values change)."""

from django.db import models


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
    GP = "gp", "GP"
    SELF = "self", "Self-referral"
    OTHER_PRIMARY_CARE = "primary_care", "Other primary care professional"
    SECONDARY_CARE = "secondary_care", "Secondary care mental health"
    ACUTE = "acute", "Acute or community health service"
    EMPLOYER = "employer", "Employer or occupational health"
    VOLUNTARY = "voluntary", "Voluntary sector"
    OTHER = "other", "Other"


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
    NOT_ASSESSED = "50", "50 Not assessed"
    NOT_SUITABLE = "10", "10 Not suitable for the service"
    SIGNPOSTED = "11", "11 Signposted elsewhere"
    ADVICE = "12", "12 Advice and support given"
    REFERRED_ON = "13", "13 Referred to another therapy service"
    DECLINED = "14", "14 Declined treatment"
    DROPPED_ASSESSMENT = "16", "16 Dropped out of assessment"
    DECEASED_UNTREATED = "17", "17 Deceased (seen, not treated)"
    COMPLETED = "46", "46 Mutually agreed completion of treatment"
    ENDED_EARLY_PRACTITIONER = "47", "47 Ended earlier than the practitioner planned"
    ENDED_EARLY_PATIENT = "48", "48 Ended earlier than the patient requested"
    DECEASED_TREATED = "49", "49 Deceased (seen and treated)"
    NOT_KNOWN = "95", "95 Not known"
    NOT_KNOWN_96 = "96", "96 Not known (other)"


END_CODE_GROUPS = {
    "not_seen": {"50"},
    "seen_not_treated": {"10", "11", "12", "13", "14", "16", "17"},
    "seen_and_treated": {"46", "47", "48", "49"},
    "not_known": {"95", "96"},
}


class Sex(models.TextChoices):
    MALE = "1", "Male"
    FEMALE = "2", "Female"
    INDETERMINATE = "9", "Indeterminate"
    NOT_KNOWN = "X", "Not known"


class Ethnicity(models.TextChoices):
    """NHS Data Dictionary ethnic category (2001 census classification)."""

    WHITE_BRITISH = "A", "White: British"
    WHITE_IRISH = "B", "White: Irish"
    WHITE_OTHER = "C", "White: Any other White background"
    MIXED_WHITE_BLACK_CARIBBEAN = "D", "Mixed: White and Black Caribbean"
    MIXED_WHITE_BLACK_AFRICAN = "E", "Mixed: White and Black African"
    MIXED_WHITE_ASIAN = "F", "Mixed: White and Asian"
    MIXED_OTHER = "G", "Mixed: Any other mixed background"
    ASIAN_INDIAN = "H", "Asian or Asian British: Indian"
    ASIAN_PAKISTANI = "J", "Asian or Asian British: Pakistani"
    ASIAN_BANGLADESHI = "K", "Asian or Asian British: Bangladeshi"
    ASIAN_OTHER = "L", "Asian or Asian British: Any other Asian background"
    BLACK_CARIBBEAN = "M", "Black or Black British: Caribbean"
    BLACK_AFRICAN = "N", "Black or Black British: African"
    BLACK_OTHER = "P", "Black or Black British: Any other Black background"
    CHINESE = "R", "Other ethnic groups: Chinese"
    OTHER = "S", "Other ethnic groups: Any other ethnic group"
    NOT_STATED = "Z", "Not stated"
    NOT_KNOWN = "99", "Not known"


class ContactPreference(models.TextChoices):
    TELEPHONE = "telephone", "Telephone"
    FACE_TO_FACE = "face_to_face", "Face to face"
    VIDEO = "video", "Video"
    ONLINE = "online", "Online"
