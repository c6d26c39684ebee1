"""National codes of a care contact (DOMAIN.md "Referrals and their codes"),
read through sessions/codes.py by the sessions app and the floors above.
Plain data, no Django imports, so the pure outcome rules can share them. The
national lists themselves live in patients/national_codes.py (one home each)."""

from .national_codes import APPOINTMENT_TYPE as APPOINTMENT_TYPES  # noqa: F401 - read through here
from .national_codes import ATTENDANCE  # noqa: F401
from .national_codes import CONSULTATION_MECHANISM as CONSULTATION_MEDIUM  # noqa: F401

TREATMENT_APPOINTMENT_TYPES = frozenset({"02", "03", "05"})
ASSESSMENT_APPOINTMENT_TYPES = frozenset({"01", "03"})
ATTENDED = frozenset({"5", "6"})  # seen: on time, or late but seen
DID_NOT_ATTEND = "3"

RISK_LEVELS = {"none": "None identified", "low": "Low", "medium": "Medium", "high": "High"}
RISK_TRIGGERS = {
    "phq9_item9": "PHQ-9 item 9 above 0",
    "practitioner": "Recorded by the practitioner",
    "event": "Risk event reported",
}
