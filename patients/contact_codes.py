"""National codes of a care contact (DOMAIN.md "Referrals and their codes"),
read through sessions/codes.py by the sessions app and the floors above.
Plain data, no Django imports, so the pure outcome rules can share them."""

APPOINTMENT_TYPES = {
    "01": "Assessment",
    "02": "Treatment",
    "03": "Assessment and treatment",
    "04": "Review without treatment",
    "05": "Review and treatment",
    "06": "Other",
}
ATTENDANCE = {
    "5": "Attended on time",
    "6": "Arrived late and was seen",
    "7": "Arrived late and could not be seen",
    "3": "Did not attend",
    "2": "Cancelled by the patient",
    "4": "Cancelled by the provider",
}
CONSULTATION_MEDIUM = {
    "01": "Face to face",
    "02": "Telephone",
    "11": "Video",
    "05": "Email",
    "09": "Text message",
    "10": "Instant messaging",
    "98": "Other",
}
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
