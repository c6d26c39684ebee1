"""The national codes of a care contact, as the sessions app and the floors above
read them. They live on the patients floor (patients/contact_codes.py) so that
stepped care, below sessions, can apply the discharge rules to a referral's
contacts without reaching up."""

from patients.contact_codes import (  # noqa: F401 - the names every importer uses
    APPOINTMENT_TYPES,
    ASSESSMENT_APPOINTMENT_TYPES,
    ATTENDANCE,
    ATTENDED,
    CONSULTATION_MEDIUM,
    DID_NOT_ATTEND,
    RISK_LEVELS,
    RISK_TRIGGERS,
    TREATMENT_APPOINTMENT_TYPES,
)
from patients.national_codes import EMPLOYMENT_SUPPORT, THERAPY_TYPE, choices, therapy_type_for  # noqa: F401

THERAPY_TYPE_CHOICES = choices(THERAPY_TYPE, with_code=False)
