"""Prints a fresh questionnaire link for a demo patient (issue 20 item 3), so the
demo user can open the patient's side in a browser: the demo only (DEMO_ENABLED),
never in production. The link is made as the booking's message would make it;
the patient's date of birth is on their record, which the demo PWP can open."""

from datetime import time, timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import Role, User
from appointments.clock import london_instant
from appointments.models import Appointment, AppointmentStatus
from patients.models import Referral
from questionnaires.models import LinkKind, QuestionnaireLink
from questionnaires.services import link_issue, link_url


class Command(BaseCommand):
    help = "Print a fresh questionnaire link for a demo patient (demo only)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="", help="the demo PWP (default: the first PWP)")

    def handle(self, *args, **options):
        if not settings.DEMO_ENABLED:
            raise CommandError("The demo is not enabled (DEMO_ENABLED): no link is printed.")
        pwps = User.objects.filter(role=Role.PWP).order_by("username")
        pwp = pwps.filter(username=options["username"]).first() if options["username"] else pwps.first()
        if pwp is None:
            raise CommandError("No PWP found: load the demo first (make run).")
        referral = Referral.objects.open().filter(assigned_practitioner=pwp).select_related("patient").first()
        if referral is None:
            raise CommandError(f"{pwp.username} holds no open case.")
        patient = referral.patient
        if not patient.mobile:
            patient.mobile = "07700 900000"  # Ofcom's drama range: never a real phone
        patient.consent_sms_reminders = True
        patient.save(update_fields=["mobile", "consent_sms_reminders"])
        appointment = (
            Appointment.objects.filter(referral=referral, status=AppointmentStatus.BOOKED, starts_at__gt=timezone.now())
            .order_by("starts_at")
            .first()
        )
        if appointment is None:
            starts = london_instant(timezone.localdate() + timedelta(days=1), time(10))
            appointment = Appointment.objects.create(
                referral=referral,
                practitioner=pwp,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
                appointment_type="02",
                medium="02",
                created_by=pwp,
            )
        # the demo's link is made again each time: the unused ones of this appointment go
        QuestionnaireLink.objects.filter(appointment=appointment, used_at__isnull=True).delete()
        issued = link_issue(appointment_id=appointment.pk, kind=LinkKind.BOOKED)
        if issued is None:
            raise CommandError("No questionnaire is due for this case, or it was answered already.")
        _link, token = issued
        self.stdout.write(f"Questionnaire link for {pwp.username}'s case (date of birth: on the patient's record):")
        self.stdout.write(link_url(token))
