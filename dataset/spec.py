"""The IAPT Data Set v2.1 (standard DAPB1520) as the monthly submission carries it:
every table of the IAPT Intermediate Database (IDB), its fields, their types and
code lists (DOMAIN.md "The national data set"). Plain data, no Django imports:
the extract, the validation and a future direct IDB (Access) writer all read
their shape from here, so a change of the specification is an edit of this file.

Each field says whether its name and type are confirmed from public sources
(NHS England's own SQL over the data set, nhsengland/Talking-Therapies, and the
NHS Data Model and Dictionary) or must still be confirmed in the Technical Output
Specification (TOS) before go-live: `confirmed=False` fields are listed by the
validation report."""

from __future__ import annotations

from dataclasses import dataclass, field

SPEC_VERSION = "IAPT v2.1 (DAPB1520), product spec 2026.11"
DATA_SET_VERSION = "2.1"

# Field types as the IDB template holds them (Access): text of at most n
# characters, a date, a time of day, a whole number, a number with decimals.
TEXT, DATE, TIME, INTEGER, DECIMAL = "text", "date", "time", "integer", "decimal"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    length: int | None = None  # characters, for text
    mandatory: bool = False
    codes: str | None = None  # the name of a code list in dataset/codes.py
    confirmed: bool = True
    description: str = ""


@dataclass(frozen=True)
class Table:
    name: str  # the IDB table's name
    description: str
    fields: tuple[Field, ...] = field(default_factory=tuple)
    confirmed: bool = True

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def _f(name, type_, length=None, *, mandatory=False, codes=None, confirmed=True, description=""):
    return Field(name, type_, length, mandatory, codes, confirmed, description)


LOCAL_ID = 20  # an(20): local identifiers (LocalPatientId, ServiceRequestId, CareContactId, CareActId)

TABLES: tuple[Table, ...] = (
    Table(
        "IDS000Header",
        "One row: the submission's data set version, provider and period",
        (
            _f("DatSetVer", TEXT, 10, mandatory=True),
            _f("OrgIDProv", TEXT, 5, mandatory=True, description="Provider ODS code"),
            _f("OrgIDSubmit", TEXT, 5, mandatory=True, description="Submitter ODS code"),
            _f("PrimSystemInUse", TEXT, 50, confirmed=False),
            _f("ReportingPeriodStartDate", DATE, mandatory=True),
            _f("ReportingPeriodEndDate", DATE, mandatory=True),
            _f("DateTimeDatSetCreate", TEXT, 19, mandatory=True, confirmed=False, description="ISO date and time"),
        ),
    ),
    Table(
        "IDS001MPI",
        "Master patient index: one row per patient with a referral in the extract",
        (
            _f("LocalPatientId", TEXT, LOCAL_ID, mandatory=True),
            _f("OrgIDLocalPatientId", TEXT, 5, mandatory=True, confirmed=False),
            _f("NHSNumber", TEXT, 10),
            _f("NHSNumberStatus", TEXT, 2, codes="nhs_number_status", confirmed=False),
            _f("PersonBirthDate", DATE, mandatory=True),
            _f("Postcode", TEXT, 8),
            _f("Gender", TEXT, 1, codes="stated_gender", description="Person stated gender code"),
            _f("GenderIdentity", TEXT, 1, codes="gender_identity", confirmed=False),
            _f("EthnicCategory", TEXT, 2, codes="ethnic_category"),
            _f("LanguageCodePreferred", TEXT, 4, codes="preferred_language", confirmed=False),
            _f("GMPCodeReg", TEXT, 8, description="GP practice (ODS code) the patient is registered with"),
        ),
    ),
    Table(
        "IDS004EmpStatus",
        "Employment status at assessment and discharge",
        (
            _f("LocalPatientId", TEXT, LOCAL_ID, mandatory=True),
            _f("EmployStatus", TEXT, 2, mandatory=True, codes="employment_status"),
            _f("EmployStatusRecDate", DATE, mandatory=True),
            _f("WeekHoursWorked", TEXT, 2, confirmed=False),
            _f("EmpSupportReferral", DATE, confirmed=False),
            _f("EmpSupportDischargeDate", DATE, confirmed=False),
        ),
    ),
    Table(
        "IDS011SocPerCircumstances",
        "Social and personal circumstances (not collected by this product: present, empty)",
        (
            _f("LocalPatientId", TEXT, LOCAL_ID, mandatory=True),
            _f("SocPerCircumstance", TEXT, 18, confirmed=False),
            _f("SocPerCircumstanceRecDate", DATE, confirmed=False),
        ),
        confirmed=False,
    ),
    Table(
        "IDS101Referral",
        "One row per referral open at any time in the period",
        (
            _f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),
            _f("LocalPatientId", TEXT, LOCAL_ID, mandatory=True),
            _f("OrgIDComm", TEXT, 5, confirmed=False, description="Commissioner ODS code"),
            _f("ReferralRequestReceivedDate", DATE, mandatory=True),
            _f("SourceOfReferralIAPT", TEXT, 2, mandatory=True, codes="source_of_referral"),
            _f("ServDischDate", DATE),
            _f("EndCode", TEXT, 2, codes="end_code"),
        ),
    ),
    Table(
        "IDS105OnwardReferral",
        "Onward referrals (not collected by this product: present, empty)",
        (_f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True), _f("OnwardReferDate", DATE, confirmed=False)),
        confirmed=False,
    ),
    Table(
        "IDS108WaitingTimePause",
        "Waiting time pauses (not collected by this product: present, empty)",
        (_f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True), _f("StartDateWaitTimePause", DATE, confirmed=False)),
        confirmed=False,
    ),
    Table(
        "IDS201CareContact",
        "Every care contact of an extracted referral in the period",
        (
            _f("CareContactId", TEXT, LOCAL_ID, mandatory=True),
            _f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),
            _f("CareContDate", DATE, mandatory=True),
            _f("CareContTime", TIME, mandatory=True),
            _f("AppType", TEXT, 2, mandatory=True, codes="appointment_type"),
            _f("ConsMechanismMH", TEXT, 2, mandatory=True, codes="consultation_mechanism"),
            _f("AttendOrDNACode", TEXT, 1, mandatory=True, codes="attendance"),
            _f("ClinContDurOfCareCont", INTEGER, confirmed=False, description="Minutes"),
            _f("LanguageCodeTreat", TEXT, 4, confirmed=False),
            _f("InterpreterPresentInd", TEXT, 1, confirmed=False),
        ),
    ),
    Table(
        "IDS202CareActivity",
        "What was delivered at each attended contact: therapy type (SNOMED CT procedure)",
        (
            _f("CareActId", TEXT, LOCAL_ID, mandatory=True),
            _f("CareContactId", TEXT, LOCAL_ID, mandatory=True),
            _f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),
            _f("CodeProcAndProcStatus", TEXT, 18, codes="therapy_type"),
            _f("ClinContactDurOfCareAct", INTEGER, description="Minutes"),
        ),
    ),
    Table(
        "IDS205InternetTherLog",
        "Internet-enabled therapy log (not collected by this product: present, empty)",
        (_f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True), _f("IntEnabledTherProg", TEXT, 60, confirmed=False)),
        confirmed=False,
    ),
    Table(
        "IDS602LongTermCondition",
        "Long-term physical health conditions (SNOMED CT), one row each",
        (
            _f("LocalPatientId", TEXT, LOCAL_ID, mandatory=True),
            _f("LongTermCondition", TEXT, 18, codes="long_term_condition", confirmed=False),
        ),
    ),
    Table(
        "IDS603PresentingComplaints",
        "The presenting problem (ICD-10), primary or secondary, dated; the latest primary counts",
        (
            _f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),
            _f("PresComp", TEXT, 6, mandatory=True, codes="presenting_complaint"),
            _f("PresCompCodSig", TEXT, 2, mandatory=True, confirmed=False, description="Code system: 02 ICD-10"),
            _f("PresCompType", TEXT, 1, mandatory=True, confirmed=False, description="P primary, S secondary"),
            _f("PresCompDate", DATE, mandatory=True),
        ),
    ),
    Table(
        "IDS606CodedScoreAssessmentRefer",
        "Scores outside a contact (e.g. completed by the patient before the appointment)",
        (
            _f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),
            _f("CodedAssToolType", TEXT, 18, mandatory=True, codes="assessment_tool"),
            _f("PersScore", TEXT, 10, mandatory=True),
            _f("AssToolCompDate", DATE, mandatory=True),
            _f("AssToolCompTime", TIME, confirmed=False),
        ),
    ),
    Table(
        "IDS607CodedScoreAssessmentAct",
        "Scores taken at a care activity",
        (
            _f("CareActId", TEXT, LOCAL_ID, mandatory=True),
            _f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),
            _f("CodedAssToolType", TEXT, 18, mandatory=True, codes="assessment_tool"),
            _f("PersScore", TEXT, 10, mandatory=True),
        ),
    ),
    Table(
        "IDS803CareCluster",
        "Present, empty (not used by NHS Talking Therapies services on this product)",
        (_f("ServiceRequestId", TEXT, LOCAL_ID, mandatory=True),),
        confirmed=False,
    ),
    Table(
        "IDS902Disability",
        "Present, empty (not collected by this product)",
        (_f("LocalPatientId", TEXT, LOCAL_ID, mandatory=True),),
        confirmed=False,
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The table's specification; KeyError for a name the data set does not have."""
    return TABLES_BY_NAME[name]


def unconfirmed() -> list[str]:
    """'Table' or 'Table.Field' for everything still to confirm in the TOS."""
    found = []
    for t in TABLES:
        if not t.confirmed:
            found.append(t.name)
        found.extend(f"{t.name}.{f.name}" for f in t.fields if not f.confirmed)
    return found
