"""Questionnaires before the appointment (issue 20 item 3): the link sent on
booking, its token stored only as a hash, the date-of-birth check with its
lockout, expiry and use, one answer for every failure, the answers stored as the
patient's own outside a contact, the at-once alert on PHQ-9 item 9, the session
form filled from them and their confirmation, and the audit as the patient's."""

import io
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccessLog
from appointments.models import AppointmentStatus
from outbox.models import OutboxMessage
from questionnaires import services
from questionnaires.models import LinkKind, QuestionnaireLink
from questionnaires.tokens import token_hash
from sessions import measures
from sessions.forms import SessionForm
from sessions.models import CompletionChannel, MeasureScore, ReportedBy
from sessions.services import therapy_session_record
from supervision.models import Flag, FlagReason, Notification, NotificationKind
from tests.factories import SupervisionAssignmentFactory, gad7, phq9

pytestmark = pytest.mark.django_db


def _issue(appointment, kind=LinkKind.BOOKED):
    link, token = services.link_issue(appointment_id=appointment.pk, kind=kind)
    return link, token


def _csrfless(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def test_booking_queues_the_link_by_the_appointments_id_only(appointment):
    (message,) = OutboxMessage.objects.filter(task="questionnaires.send_booked_link")
    assert message.args == [str(appointment.pk)]


def test_the_link_goes_by_sms_with_no_name_and_only_its_hash_is_kept(appointment, notify):
    # when the booked link is sent
    assert services.link_send(appointment_id=appointment.pk, kind=LinkKind.BOOKED)

    # then Notify got the date, time and link, nothing that names the patient
    (sent,) = notify.notifications
    personalisation = sent["personalisation"]
    assert set(personalisation) == {"date", "time", "link"}
    patient = appointment.referral.patient
    text = str(sent)
    for identifier in (patient.given_name, patient.family_name, patient.nhs_number, str(patient.pk)):
        assert identifier not in text
    token = personalisation["link"].rstrip("/").rsplit("/", 1)[1]
    link = QuestionnaireLink.objects.get()
    assert link.token_hash == token_hash(token) and token not in link.token_hash
    assert link.expires_at == appointment.ends_at and link.instruments == ["PHQ9", "GAD7", "WSAS"]
    # and a second run of the task sends nothing
    assert not services.link_send(appointment_id=appointment.pk, kind=LinkKind.BOOKED)
    assert len(notify.notifications) == 1


def test_no_consented_channel_no_link(appointment):
    patient = appointment.referral.patient
    patient.consent_sms_reminders = False
    patient.save()
    assert services.link_issue(appointment_id=appointment.pk, kind=LinkKind.BOOKED) is None


def test_three_wrong_dates_of_birth_lock_the_link(appointment):
    link, token = _issue(appointment)
    dob = appointment.referral.patient.date_of_birth
    for _ in range(3):
        assert services.link_open(token=token, date_of_birth=dob - timedelta(days=1)) is None
    link.refresh_from_db()
    assert link.failed_attempts == 3 and link.locked_at is not None
    assert services.link_open(token=token, date_of_birth=dob) is None  # locked: the right date no longer opens it
    logged = AccessLog.objects.filter(object_type="questionnairelink", username="patient")
    assert logged.count() == 3 and logged.filter(user__isnull=True).count() == 3


def test_the_link_expires_with_the_appointment_and_a_newer_link_replaces_it(appointment):
    link, token = _issue(appointment)
    dob = appointment.referral.patient.date_of_birth
    assert services.link_open(token=token, date_of_birth=dob, now=appointment.ends_at) is None
    newer, newer_token = _issue(appointment, LinkKind.DAY_BEFORE)
    assert services.link_open(token=token, date_of_birth=dob) is None
    assert services.link_open(token=newer_token, date_of_birth=dob).pk == newer.pk
    # a cancelled appointment's link no longer opens
    appointment.status = AppointmentStatus.CANCELLED_BY_PATIENT
    appointment.save(update_fields=["status"])
    assert services.link_open(token=newer_token, date_of_birth=dob) is None


def _answer_all(client, link):
    for step, code in enumerate(link.instruments, start=1):
        items = {"PHQ9": phq9(14, item9=0), "GAD7": gad7(11), "WSAS": [2, 3, 4, 1, 0]}[code]
        data = {f"{code}_{n}": str(v) for n, v in enumerate(items, start=1)}
        response = client.post(reverse("questionnaires:measure", args=[step]), data)
        assert response.status_code == 302, response.content.decode()[:2000]


def test_every_failure_looks_the_same_from_outside(client, appointment):
    old, old_token = _issue(appointment)
    dob = appointment.referral.patient.date_of_birth
    right = {"day": dob.day, "month": dob.month, "year": dob.year}
    wrong = {**right, "year": dob.year - 1}
    link, token = _issue(appointment, LinkKind.DAY_BEFORE)  # the newer link: the old one has expired

    def post(to, data):
        response = client.post(reverse("questionnaires:start", args=[to]), data)
        assert response.status_code == 200
        return _csrfless(response.content.decode())

    # a wrong date on a good link reads as an unknown link with the same date
    assert post(token, wrong) == post("not-a-token", wrong)
    assert "We could not open your questionnaire" in post(token, wrong)
    post(token, wrong)  # the third wrong date locks it
    # the right date on an unknown, an expired, a locked and a used link: one page
    unknown = post("not-a-token", right)
    assert post(old_token, right) == unknown
    assert post(token, right) == unknown  # locked
    fresh = QuestionnaireLink.objects.filter(pk=link.pk)
    fresh.update(failed_attempts=0, locked_at=None)
    assert client.post(reverse("questionnaires:start", args=[token]), right).status_code == 302
    _answer_all(client, link)
    assert client.post(reverse("questionnaires:check")).status_code == 200
    assert post(token, right) == unknown  # used


def test_the_patient_answers_one_measure_a_page_and_the_scores_are_theirs_outside_a_contact(
    client, appointment, django_assert_max_num_queries
):
    link, token = _issue(appointment)
    dob = appointment.referral.patient.date_of_birth
    client.post(reverse("questionnaires:start", args=[token]), {"day": dob.day, "month": dob.month, "year": dob.year})
    # a page left unanswered is refused, question by question, and nothing is lost
    refused = client.post(reverse("questionnaires:measure", args=[1]), {"PHQ9_1": "2"})
    assert refused.status_code == 200 and "Select an answer for question 2" in refused.content.decode()
    assert 'value="2" checked' in refused.content.decode()
    # queries: the browser session only (it keeps the verified link); nothing per question
    with django_assert_max_num_queries(1):
        page = client.get(reverse("questionnaires:measure", args=[1]))
    assert page.status_code == 200 and page.content.decode().count('type="radio"') == 9 * 4
    _answer_all(client, link)
    check = client.get(reverse("questionnaires:check"))
    assert "Check your answers" in check.content.decode()
    done = client.post(reverse("questionnaires:check"))
    assert "Answers sent" in done.content.decode()

    scores = {s.instrument: s for s in MeasureScore.objects.filter(referral=appointment.referral)}
    assert set(scores) == {"PHQ9", "GAD7", "WSAS"}
    for score in scores.values():
        assert score.session_id is None and score.reported_by == ReportedBy.PATIENT
        assert score.completion_channel == CompletionChannel.PATIENT_ONLINE
        assert score.completed_at == score.taken_at and score.completed_at is not None
    assert scores["PHQ9"].total == 14
    assert not MeasureScore.objects.counting().exists()  # not yet confirmed: counts nowhere
    link.refresh_from_db()
    assert link.used_at is not None
    assert AccessLog.objects.filter(object_type="measurescore", username="patient", action="create").count() == 1
    # used: the questionnaire pages are closed
    assert client.get(reverse("questionnaires:check")).status_code == 410


def test_item_9_above_0_shows_urgent_help_and_alerts_practitioner_and_duty_worker_at_once(
    client, appointment, duty, django_capture_on_commit_callbacks
):
    # the duty worker also supervises the practitioner: the flag's own handler tells them first
    SupervisionAssignmentFactory(supervisor=duty, supervisee=appointment.referral.assigned_practitioner)
    link, token = _issue(appointment)
    dob = appointment.referral.patient.date_of_birth
    client.post(reverse("questionnaires:start", args=[token]), {"day": dob.day, "month": dob.month, "year": dob.year})
    client.post(
        reverse("questionnaires:measure", args=[1]), {f"PHQ9_{n}": str(v) for n, v in enumerate(phq9(12, item9=1), 1)}
    )
    for step, code in enumerate(link.instruments[1:], start=2):
        items = gad7(5) if code == "GAD7" else [1, 1, 1, 1, 1]
        client.post(
            reverse("questionnaires:measure", args=[step]), {f"{code}_{n}": str(v) for n, v in enumerate(items, 1)}
        )
    with django_capture_on_commit_callbacks(execute=False):
        done = client.post(reverse("questionnaires:check"))
    body = done.content.decode()
    assert "116 123" in body and "option 2" in body
    flag = Flag.objects.get(referral=appointment.referral, reason=FlagReason.RISK, resolved_at__isnull=True)
    told = set(Notification.objects.filter(flag=flag).values_list("user_id", flat=True))
    assert {appointment.referral.assigned_practitioner_id, duty.pk} <= told
    for notification in Notification.objects.filter(flag=flag):
        patient = appointment.referral.patient
        assert patient.family_name not in notification.message and patient.given_name not in notification.message
    # the practitioner's and the duty worker's are of the patient-risk kind: their email says so
    kinds = dict(Notification.objects.filter(flag=flag).values_list("user_id", "kind"))
    assert kinds[duty.pk] == kinds[appointment.referral.assigned_practitioner_id] == NotificationKind.PATIENT_RISK
    # and both emails were queued in the submission's transaction (ids only), for the worker to send at once
    queued = {
        pk for m in OutboxMessage.objects.filter(task="supervision.email_notifications") for pk in m.args[0].split(",")
    }
    assert {str(pk) for pk in Notification.objects.filter(flag=flag).values_list("pk", flat=True)} <= queued
    # and the duty worker's notifications page says what it is about
    client.force_login(duty)
    assert "PHQ-9 item 9" in client.get(reverse("supervision:notifications")).content.decode()


def test_the_session_form_shows_the_answers_and_saving_confirms_them_once(appointment, pwp):
    # given the patient's answers before the appointment
    link, token = _issue(appointment)
    referral = appointment.referral
    services.link_open(token=token, date_of_birth=referral.patient.date_of_birth)
    services.answers_save(link=link, code="PHQ9", items=phq9(14))
    services.answers_save(link=link, code="GAD7", items=gad7(11))
    services.answers_save(link=link, code="WSAS", items=[measures.NOT_IN_WORK, 3, 4, 1, 0])
    services.questionnaire_submit(link=link)

    # when the practitioner opens the session form
    form = SessionForm(referral=referral)
    # then they are filled in, WSAS item 1 "not in work" too
    assert [form.initial[f"PHQ9_{n}"] for n in range(1, 10)] == phq9(14)
    assert form.initial["WSAS_1"] == measures.NOT_IN_WORK and form.patient_answered_at is not None

    # when the session is saved with one answer corrected with the patient
    corrected = phq9(13)
    session = therapy_session_record(
        user=pwp,
        referral=referral,
        started_at=timezone.now().replace(second=0, microsecond=0),
        appointment_type="02",
        attendance="5",
        medium="02",
        measure_items={"PHQ9": corrected, "GAD7": gad7(11)},
        enqueue_followup=False,
        confirm_patient_answers=form.initial["confirm_patient_answers"],
    )
    # then the session's scores count, once; the patient's are linked to them
    counted = MeasureScore.objects.counting().filter(referral=referral)
    assert sorted((m.instrument, m.total) for m in counted) == [("GAD7", 11), ("PHQ9", 13)]
    patient_rows = MeasureScore.objects.filter(referral=referral, reported_by=ReportedBy.PATIENT)
    linked = {m.instrument: m.confirmed_as.session_id if m.confirmed_as else None for m in patient_rows}
    assert linked == {"PHQ9": session.pk, "GAD7": session.pk, "WSAS": None}
    # and the next session's form is not filled from answers already gone through
    assert "PHQ9_1" not in SessionForm(referral=referral).initial


def test_the_link_page_is_rate_limited_per_address(client, settings):
    settings.QUESTIONNAIRE_RATE_PER_HOUR = 3
    address, other = "192.0.2.7", "198.51.100.7"  # documentation addresses, counted from zero here
    for ip in (address, other):
        cache.delete(f"questionnaire-rate:{ip}")
    answers = [client.get("/q/some-token/", REMOTE_ADDR=address).status_code for _ in range(4)]
    assert answers[:3] == [200, 200, 200] and answers[3] == 429
    assert client.get("/q/some-token/", REMOTE_ADDR=other).status_code == 200


def test_the_demo_command_prints_a_fresh_link_that_opens(referral, settings, client):
    settings.DEMO_ENABLED = True
    out = io.StringIO()
    call_command("questionnaire_demo_link", stdout=out)
    url = out.getvalue().strip().splitlines()[-1]
    path = "/" + url.split("/", 3)[3]
    dob = referral.patient.date_of_birth
    opened = client.post(path, {"day": dob.day, "month": dob.month, "year": dob.year})
    assert opened.status_code == 302
    # run again: a new link, the old one no longer opens
    call_command("questionnaire_demo_link", stdout=io.StringIO())
    assert QuestionnaireLink.objects.filter(referral=referral).count() == 1
    settings.DEMO_ENABLED = False
    with pytest.raises(CommandError):
        call_command("questionnaire_demo_link", stdout=io.StringIO())


def test_the_day_before_link_goes_only_to_appointments_tomorrow_not_yet_done(pwp, referral, notify):
    from appointments.models import Appointment

    tomorrow = timezone.localtime() + timedelta(days=1)
    starts = tomorrow.replace(hour=12, minute=0, second=0, microsecond=0)
    due = Appointment.objects.create(referral=referral, practitioner=pwp, starts_at=starts,
                                     ends_at=starts + timedelta(minutes=30), appointment_type="02", medium="02",
                                     created_by=pwp)  # fmt: skip
    later_one = Appointment.objects.create(referral=referral, practitioner=pwp, starts_at=starts + timedelta(days=3),
                                           ends_at=starts + timedelta(days=3, minutes=30), appointment_type="02",
                                           medium="02", created_by=pwp)  # fmt: skip
    assert services.day_before_due() == [due.pk]
    assert services.link_send(appointment_id=due.pk, kind=LinkKind.DAY_BEFORE)
    assert services.day_before_due() == []  # sent once
    assert later_one.pk not in services.day_before_due()
    assert len(notify.notifications) == 1


def test_the_session_form_reads_the_answers_in_one_query_at_any_size(appointment):
    referral = appointment.referral

    def queries_for_form() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            SessionForm(referral=referral).due_codes  # noqa: B018 - the form's reads, as the page makes them
        return len(captured)

    baseline = queries_for_form()
    for answers in (1, 3):  # one questionnaire answered, then three more
        for _ in range(answers):
            link, token = _issue(appointment, LinkKind.DAY_BEFORE)
            services.link_open(token=token, date_of_birth=referral.patient.date_of_birth)
            for code in link.instruments:
                services.answers_save(link=link, code=code, items={"PHQ9": phq9(9), "GAD7": gad7(7)}.get(code, [1] * 5))
            services.questionnaire_submit(link=link)
            QuestionnaireLink.objects.filter(pk=link.pk).delete()  # so the next one can be made for the test
        assert queries_for_form() == baseline
