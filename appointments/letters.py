"""Letters as PDF (reportlab): an appointment letter for a patient without a
mobile or email, and a discharge letter to the GP with the outcome summary
(DOMAIN.md "Appointments and messages"). The words come from Django templates
(templates/appointments/letters/), the layout from reportlab; when Notify is
configured the PDF goes as a precompiled letter (POST /v2/notifications/letter).

Layout for Notify's precompiled letters: A4, the recipient's address block in
the window area (from 24 mm left, 50-90 mm from the top), margins of at least
15 mm."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from django.template.loader import render_to_string
from django.utils import timezone
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Spacer

from patients.models import Referral
from sessions.codes import ATTENDED

from . import clock
from .models import Appointment

MEDIUM_WORDS = {"01": "in person", "02": "by telephone", "11": "by video"}
END_CODE_WORDS = {
    "46": "completed treatment as agreed",
    "47": "ended treatment earlier than planned",
    "48": "ended treatment earlier, at their request",
    "10": "was assessed as not suitable for the service",
    "11": "was signposted to another service",
    "12": "was given advice and support",
    "13": "was referred to another therapy service",
    "14": "declined treatment",
    "16": "did not complete the assessment",
    "50": "was not assessed",
}


def _pdf(address_lines: list[str], paragraphs: list[str], *, title: str) -> bytes:
    buffer = io.BytesIO()
    styles = getSampleStyleSheet()
    width, height = A4
    address = Frame(24 * mm, height - 90 * mm, 90 * mm, 40 * mm, showBoundary=0, id="address")
    body = Frame(20 * mm, 20 * mm, width - 40 * mm, height - 115 * mm, id="body")
    doc = BaseDocTemplate(buffer, pagesize=A4, title=title, author="NHS Talking Therapies")
    doc.addPageTemplates([PageTemplate(id="letter", frames=[address, body])])
    story = [Paragraph("<br/>".join(escape(line) for line in address_lines if line), styles["Normal"])]
    from reportlab.platypus import FrameBreak

    story.append(FrameBreak())
    for text in paragraphs:
        story.append(Paragraph(escape(text), styles["Normal"]))
        story.append(Spacer(1, 4 * mm))
    doc.build(story)
    return buffer.getvalue()


def _paragraphs(template: str, context: dict) -> list[str]:
    text = render_to_string(template, context)
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def appointment_letter_pdf(appointment: Appointment) -> bytes:
    """The patient's appointment letter: date, time, medium or place, how to change it."""
    patient = appointment.referral.patient
    local = clock.london_wall_clock(appointment.starts_at)
    context = {
        "patient": patient,
        "date": f"{local:%A} {local.day} {local:%B %Y}",
        "time": f"{local:%H:%M}",
        "medium": MEDIUM_WORDS.get(appointment.medium, appointment.get_medium_display().lower()),
        "location": appointment.location,
        "duration": appointment.duration_minutes,
        "today": timezone.localdate(),
    }
    address = [patient.full_name, *patient.address.split(","), patient.postcode]
    return _pdf(
        [line.strip() for line in address],
        _paragraphs("appointments/letters/appointment.txt", context),
        title="Your appointment",
    )


def discharge_summary(referral: Referral) -> dict:
    """The outcome summary of an ended referral, in plain words: problem,
    attended sessions, first and last PHQ-9 and GAD-7 totals, and how it ended."""
    sessions = list(referral.sessions.all())
    scores: dict[str, list] = {}
    for score in referral.measure_scores.counting().filter(total__isnull=False).order_by("taken_at"):
        scores.setdefault(score.instrument, []).append(int(score.total))
    return {
        "problem": referral.get_problem_descriptor_display() or "not recorded",
        "attended": sum(1 for s in sessions if s.attendance in ATTENDED),
        "phq9": (scores["PHQ9"][0], scores["PHQ9"][-1]) if scores.get("PHQ9") else None,
        "gad7": (scores["GAD7"][0], scores["GAD7"][-1]) if scores.get("GAD7") else None,
        "ending": END_CODE_WORDS.get(referral.end_code, "ended their contact with the service"),
        "ended_on": referral.ended_on,
    }


def gp_discharge_letter_pdf(referral: Referral) -> bytes:
    """The discharge letter to the patient's GP practice (an ended referral)."""
    patient = referral.patient
    context = {"patient": patient, "referral": referral, "summary": discharge_summary(referral),
               "today": timezone.localdate()}  # fmt: skip
    return _pdf(
        [f"The GP, {patient.gp_practice_name or 'registered practice'}", f"Practice code {patient.gp_practice_code}"],
        _paragraphs("appointments/letters/gp_discharge.txt", context),
        title="Discharge summary",
    )
