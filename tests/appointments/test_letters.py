from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from appointments import letters, services
from appointments.models import Letter
from tests.factories import log_session

from .conftest import appointment_at


def pdf_text(pdf: bytes) -> str:
    """The text drawn on a reportlab PDF's pages: its streams are ASCII85 then
    Flate encoded (/ASCII85Decode /FlateDecode); the text operators are `(...) Tj`."""
    import base64
    import re
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, flags=re.S):
        data = stream.strip()
        if data.endswith(b"~>"):
            try:
                data = zlib.decompress(base64.a85decode(data, adobe=True))
            except (ValueError, zlib.error):
                continue
        chunks.append(data.decode("latin-1"))
    return " ".join(re.findall(r"\((.*?)\)\s*Tj", " ".join(chunks)))


def test_the_appointment_letter_is_a_pdf_with_the_time_and_no_clinical_content(pwp, referral):
    starts = timezone.now() + timedelta(days=3)
    appointment = appointment_at(referral, pwp, starts)
    pdf = letters.appointment_letter_pdf(appointment)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert timezone.localtime(starts).strftime("%H:%M") in text
    assert "by telephone" in text
    assert "F32" not in text and "PHQ" not in text


def test_the_gp_discharge_letter_gives_the_outcome_in_plain_words(pwp, referral):
    log_session(pwp, referral, days_ago=30, phq=18, gad=14)
    log_session(pwp, referral, days_ago=10, phq=7, gad=5)
    referral.status, referral.ended_on, referral.end_code = "ended", timezone.localdate(), "46"
    referral.save()
    text = pdf_text(letters.gp_discharge_letter_pdf(referral))
    assert "completed treatment as agreed" in text
    assert "Sessions attended: 2" in text
    assert "18 at the first session and 7 at the last" in text
    assert "14 at the first session and 5 at the last" in text


def test_sending_a_letter_goes_to_notify_as_a_precompiled_pdf(notify, pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() + timedelta(days=3))
    letter = services.letter_send(user=pwp, referral=referral, kind="appointment", appointment=appointment)
    [sent] = notify.sent("letter")
    assert letter.status == "sent" and str(letter.notify_id) == sent["id"] and sent["reference"] == str(letter.pk)
    assert AccessLog.objects.filter(object_type="letter", action="export").exists()


def test_with_no_key_a_letter_is_recorded_not_sent(settings, pwp, referral):
    settings.NOTIFY_API_KEY = ""
    appointment = appointment_at(referral, pwp, timezone.now() + timedelta(days=3))
    letter = services.letter_send(user=pwp, referral=referral, kind="appointment", appointment=appointment)
    assert letter.get_status_display() == "Not sent: messaging not configured"


def test_the_discharge_letter_of_an_open_referral_is_refused(client, pwp, referral):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.letter_send(user=pwp, referral=referral, kind="gp_discharge")
    client.force_login(pwp)
    response = client.get(reverse("appointments:discharge_letter", args=[referral.pk]))
    assert response.status_code == 302 and not Letter.objects.exists()


def test_the_letter_downloads_as_pdf_audited(client, pwp, referral):
    appointment = appointment_at(referral, pwp, timezone.now() + timedelta(days=3))
    client.force_login(pwp)
    response = client.get(reverse("appointments:letter", args=[appointment.pk]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")
    assert AccessLog.objects.filter(object_type="appointment_letter", action="export").exists()
