"""The flag sweep (DOMAIN.md "Supervision"): set-based SQL that raises a flag
for every open case that is due for case-management supervision, and resolves
flags whose cause has gone.

- Idempotent and safe under concurrency: every INSERT ends in
  `ON CONFLICT (referral_id, reason) WHERE resolved_at IS NULL DO NOTHING`
  against the partial unique index `flag_one_open_per_reason`, so two workers
  (or beat firing twice) leave the same flags as one run.
- 28 days are counted in local calendar days (Europe/London), so the clock
  changes never move the boundary: a case last reviewed on 1 March is due on
  30 March whatever the offset.
- Clinical criteria only count evidence newer than the case's last review, so a
  review that addresses a flag is not undone by the next sweep.

Two modes give the same flags (docs/decisions/007-national-scale.md):

- full (nightly, `flag_cases --full`): every criterion over every open case;
- incremental (hourly): the clinical criteria and resolution only for the cases
  in `supervision_sweepqueue`, which triggers fill whenever a row the criteria
  read changes (sessions, measures, risk events, step changes, flags, and a
  referral's status, allocation, opening or last review). The sweep deletes the
  entries its snapshot sees in its own transaction: a killed run restores them,
  a concurrent run blocks on them and then finds them gone, and evidence
  committed during a sweep stays queued for the next. Clinical criteria compare
  evidence with the last review, never with the clock, so a case without queued
  changes cannot start or stop meeting them; only the overdue criterion moves
  with time, and it reads the partial expression index `referral_review_due_idx`
  so it touches only overdue open cases.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from patients.codes import ReferralStatus
from sessions import anxiety_sql, measures
from sessions.codes import ATTENDED, DID_NOT_ATTEND, TREATMENT_APPOINTMENT_TYPES
from sessions.models import counting_scores_sql

from .models import NotificationKind

logger = logging.getLogger(__name__)

REVIEW_INTERVAL_DAYS = 28  # configurable: DOMAIN.md "every open case at least every four weeks"
TREATMENT_SESSIONS_BEFORE_REVIEW = 4  # configurable: "no reliable improvement after 4 treatment sessions"
OPEN_CASE_STATUSES = (ReferralStatus.ASSESSED, ReferralStatus.WAITING, ReferralStatus.IN_TREATMENT)

_OPEN_CASE = """r.status IN %(open)s AND r.assigned_practitioner_id IS NOT NULL {only}"""
_SINCE_REVIEW = "COALESCE(r.last_reviewed_at, '-infinity'::timestamptz)"
_INSERT = "INSERT INTO supervision_flag (referral_id, reason, raised_at, detail) "
_ON_CONFLICT = " ON CONFLICT (referral_id, reason) WHERE resolved_at IS NULL DO NOTHING RETURNING id"

# First and last complete PHQ-9, and of the case's own anxiety measure, for each
# open case: the descriptor's ADSM when it has paired scores, GAD-7 otherwise,
# chosen by the same SQL as the outcome (sessions/anxiety_sql.py; issue 14
# item 13). The reference VALUES lists' text depends only on which descriptors
# have an ADSM; their values are parameters (_params), so thresholds flow through.
_ANX_INSTRUMENTS, _ANX_DESCRIPTORS = anxiety_sql.reference_values({})
_SCORES = (
    """
WITH per_case AS (
    SELECT m.referral_id,
           (array_agg(m.total ORDER BY m.taken_at, m.id) FILTER (WHERE m.instrument = 'PHQ9'))[1] AS phq_first,
           (array_agg(m.total ORDER BY m.taken_at DESC, m.id DESC) FILTER (WHERE m.instrument = 'PHQ9'))[1] AS phq_last,
           (array_agg(m.total ORDER BY m.taken_at, m.id) FILTER (WHERE m.instrument = 'GAD7'))[1] AS gad_first,
           (array_agg(m.total ORDER BY m.taken_at DESC, m.id DESC) FILTER (WHERE m.instrument = 'GAD7'))[1] AS gad_last,
           max(da.instrument) AS adsm,
           (array_agg(m.total ORDER BY m.taken_at, m.id) FILTER (WHERE m.instrument = da.instrument))[1] AS adsm_first,
           (array_agg(m.total ORDER BY m.taken_at DESC, m.id DESC) FILTER (WHERE m.instrument = da.instrument))[1]
               AS adsm_last,
           max(m.taken_at) AS last_at,
           max(m.taken_at) FILTER (WHERE m.instrument = 'PHQ9') AS phq_last_at,
           max(m.taken_at) FILTER (WHERE m.instrument = 'GAD7') AS gad_last_at,
           max(m.taken_at) FILTER (WHERE m.instrument = da.instrument) AS adsm_last_at,
           count(*) FILTER (WHERE m.instrument = 'PHQ9') AS phq_n,
           count(*) FILTER (WHERE m.instrument = 'GAD7') AS gad_scores,
           count(*) FILTER (WHERE m.instrument = da.instrument) AS adsm_scores
    FROM therapy_sessions_measurescore m
    JOIN patients_referral r ON r.id = m.referral_id
    LEFT JOIN (VALUES
        """
    + _ANX_DESCRIPTORS
    + """
    ) AS da(descriptor, instrument) ON da.descriptor = r.problem_descriptor
    WHERE m.complete AND m.total IS NOT NULL AND """
    + counting_scores_sql("m")
    + """
      AND (m.instrument IN ('PHQ9', 'GAD7') OR m.instrument = da.instrument) AND """
    + _OPEN_CASE
    + """
    GROUP BY m.referral_id
),
scores AS (
    SELECT pc.referral_id, pc.phq_first, pc.phq_last, pc.phq_n, pc.last_at,
           a.code AS anx_code, a.first AS anx_first, a.last AS anx_last, a.scores AS anx_n,
           pc.phq_last_at,
           CASE WHEN pc.adsm_scores >= %(paired_min)s THEN pc.adsm_last_at ELSE pc.gad_last_at END AS anx_last_at,
           pc.phq_last - pc.phq_first <= -(%(phq_rc)s::numeric) AS phq_fell,
           pc.phq_last - pc.phq_first >= %(phq_rc)s::numeric AS phq_rose,
           a.last - a.first <= -ai.rc AS anx_fell,
           a.last - a.first >= ai.rc AS anx_rose,
           """
    + anxiety_sql.at_caseness_sql("pc.phq_last", anxiety=False)
    + """ AS phq_last_case,
           """
    + anxiety_sql.at_caseness_sql("a.last", anxiety=True)
    + """ AS anx_last_case
    FROM per_case pc
    """
    + anxiety_sql.choice_sql("pc", _ANX_INSTRUMENTS)
    + """
)"""
)

_DETERIORATION_FLAG = (
    _INSERT
    + """
        SELECT r.id, 'deterioration', %(now)s, '' FROM patients_referral r JOIN scores sc ON sc.referral_id = r.id
        WHERE sc.last_at > """
    + _SINCE_REVIEW
    + """ AND sc.phq_n >= 2 AND sc.anx_n >= 2
          AND (sc.phq_rose OR sc.anx_rose)
          AND NOT (sc.phq_fell OR sc.anx_fell)
    """
    + _ON_CONFLICT
)

CRITERIA = {
    "overdue_review": _INSERT
    + """
        SELECT r.id, 'overdue_review', %(now)s, '' FROM patients_referral r
        WHERE """
    + _OPEN_CASE
    + """
          AND COALESCE(r.last_reviewed_at, r.opened_at) < %(due_before)s
          AND NOT EXISTS (SELECT 1 FROM supervision_flag f
                          WHERE f.referral_id = r.id AND f.reason = 'overdue_review' AND f.resolved_at IS NULL)
    """
    + _ON_CONFLICT,
    "risk": _INSERT
    + """
        SELECT r.id, 'risk', %(now)s, '' FROM patients_referral r
        WHERE """
    + _OPEN_CASE
    + """
          AND (EXISTS (SELECT 1 FROM therapy_sessions_riskassessment ra
                       WHERE ra.referral_id = r.id AND ra.recorded_at > """
    + _SINCE_REVIEW
    + """
                         AND (ra.level <> 'none' OR ra.trigger = 'phq9_item9'))
               OR EXISTS (SELECT 1 FROM therapy_sessions_measurescore m
                          WHERE m.referral_id = r.id AND m.instrument = 'PHQ9' AND m.items[9] > 0
                            AND m.taken_at > """
    + _SINCE_REVIEW
    + """))
    """
    + _ON_CONFLICT,
    "awaiting_step": _INSERT
    + """
        SELECT r.id, 'awaiting_step', %(now)s, '' FROM patients_referral r
        WHERE """
    + _OPEN_CASE
    + """ AND r.status = 'assessed'
    """
    + _ON_CONFLICT,
    "no_improvement": _SCORES
    + """,
    treatment AS (
        SELECT s.referral_id, count(*) AS n, max(s.started_at) AS last_at
        FROM therapy_sessions_therapysession s JOIN patients_referral r ON r.id = s.referral_id
        WHERE s.attendance IN %(attended)s AND s.appointment_type IN %(treatment_types)s AND """
    + _OPEN_CASE
    + """
        GROUP BY s.referral_id
    )
    """
    + _INSERT
    + """
        SELECT r.id, 'no_improvement', %(now)s, '' FROM patients_referral r
        JOIN treatment t ON t.referral_id = r.id JOIN scores sc ON sc.referral_id = r.id
        WHERE t.n >= %(min_treatment)s AND t.last_at > """
    + _SINCE_REVIEW
    + """
          AND (NOT ((sc.phq_fell OR sc.anx_fell) AND NOT (sc.phq_rose OR sc.anx_rose))
               OR sc.phq_last_case OR sc.anx_last_case)
    """
    + _ON_CONFLICT,
    "deterioration": _SCORES + _DETERIORATION_FLAG,
    "dna": """
    WITH recent AS (
        SELECT s.referral_id, s.attendance, s.started_at,
               row_number() OVER (PARTITION BY s.referral_id ORDER BY s.started_at DESC, s.id DESC) AS rn
        FROM therapy_sessions_therapysession s JOIN patients_referral r ON r.id = s.referral_id
        WHERE """
    + _OPEN_CASE
    + """
    )
    """
    + _INSERT
    + """
        SELECT r.id, 'dna', %(now)s, '' FROM patients_referral r JOIN recent x ON x.referral_id = r.id AND x.rn <= 2
        GROUP BY r.id, r.last_reviewed_at
        HAVING count(*) = 2 AND bool_and(x.attendance = %(dna)s) AND max(x.started_at) > """
    + _SINCE_REVIEW
    + _ON_CONFLICT,
    "step_change": _INSERT
    + """
        SELECT r.id, 'step_change', %(now)s, '' FROM patients_referral r
        WHERE """
    + _OPEN_CASE
    + """
          AND EXISTS (SELECT 1 FROM stepped_care_stepchange c WHERE c.referral_id = r.id AND c.status = 'proposed')
    """
    + _ON_CONFLICT,
}

# Not on track (issue 21, feedback/course.py): the case's latest score of PHQ-9 or of its
# own anxiety measure (the descriptor's ADSM when it has paired scores, GAD-7 otherwise:
# the rule of sessions/anxiety_sql.py and measures.anxiety_measure_used), at session 2 or
# later and newer than its last review, above the upper boundary of the service's newest
# expected course for that measure, starting band and session number. A GAD-7 off
# track on a case judged on its ADSM raises nothing. It reads the first and last scores
# and their counts from _SCORES, as the deterioration criterion does, so the at-once
# check (AT_ONCE_SQL) computes them once for both: the session number of the latest
# score is the count of the measure's complete scores, its starting score the first.
# The starting band is the point's own (band_above < first <= band_upto, columns
# PostgreSQL keeps from course.band_edges), so the statement carries no band CASE.
_NOT_ON_TRACK_FLAG = (
    _INSERT
    + """
        SELECT DISTINCT ON (r.id) r.id, 'not_on_track', %(now)s,
               l.instrument || ' ' || l.total || ' at session ' || l.k || ', above the expected course''s upper '
               || 'boundary of ' || round(p.upper::numeric, 1) || ' (expected ' || round(p.expected::numeric, 1) || ')'
        FROM scores sc
        JOIN patients_referral r ON r.id = sc.referral_id
        CROSS JOIN LATERAL (VALUES ('PHQ9', sc.phq_first::float8, sc.phq_last::float8, sc.phq_n, sc.phq_last_at),
                                   (sc.anx_code, sc.anx_first::float8, sc.anx_last::float8, sc.anx_n, sc.anx_last_at)
        ) AS l(instrument, first_total, total, k, taken_at)
        JOIN LATERAL (SELECT c.id FROM feedback_expectedcourse c WHERE c.service_id = r.service_id
                      ORDER BY c.version DESC LIMIT 1) c ON true
        JOIN feedback_expectedcoursepoint p
             ON p.course_id = c.id AND p.instrument = l.instrument AND p.session_number = l.k
            AND l.first_total > p.band_above AND l.first_total <= p.band_upto
        WHERE l.k >= 2 AND l.total > p.upper AND l.taken_at > """
    + _SINCE_REVIEW
    + """
        ORDER BY r.id, l.total - p.upper DESC
    """
    + _ON_CONFLICT
)
CRITERIA["not_on_track"] = _SCORES + _NOT_ON_TRACK_FLAG

RESOLVE = """
    UPDATE supervision_flag f SET resolved_at = %(now)s
    FROM patients_referral r
    WHERE f.referral_id = r.id AND f.resolved_at IS NULL {only}
      AND (r.status NOT IN %(open)s OR r.assigned_practitioner_id IS NULL
           OR (f.reason = 'awaiting_step' AND r.status <> 'assessed')
           OR (f.reason = 'step_change' AND NOT EXISTS (
                SELECT 1 FROM stepped_care_stepchange c WHERE c.referral_id = r.id AND c.status = 'proposed')))
    RETURNING f.id
"""

# The flags a supervisor is told of (in the app, and by an email with a link only).
NOTIFY_REASONS = ("risk", "deterioration", "step_change", "pwp_request")
# The criteria the outbox's in-transaction handler runs for a case just written
# (issue 16 item 4): what a session, a risk event or a step proposal can raise.
AT_ONCE_REASONS = ("risk", "deterioration", "step_change", "not_on_track")
_AT_ONCE_BODIES = {
    "risk": CRITERIA["risk"],
    "deterioration": _DETERIORATION_FLAG,
    "step_change": CRITERIA["step_change"],
    "not_on_track": _NOT_ON_TRACK_FLAG,
}


def at_once_sql(reasons=AT_ONCE_REASONS) -> str:
    """The at-once criteria as one statement (one round trip, issue 21): each
    criterion's INSERT a data-modifying CTE, the deterioration and not-on-track
    ones reading one `scores` (_SCORES), computed once; the ids of the flags
    raised, of every reason. The same rows as running CRITERIA[reason] one after
    another: none of these criteria reads a flag, and each inserts only its own
    reason. `{only}` is left for the caller, as in CRITERIA."""
    head = _SCORES + "," if {"deterioration", "not_on_track"} & set(reasons) else "WITH"
    raised = ",\n".join(f"{reason}_raised AS ({_AT_ONCE_BODIES[reason]})" for reason in reasons)
    ids = " UNION ALL ".join(f"SELECT id FROM {reason}_raised" for reason in reasons)
    return f"{head}\n{raised}\n{ids}"


AT_ONCE_SQL = at_once_sql()
# What the save runs when settings.SUPERVISION_NOT_ON_TRACK_AT_ONCE is off: only
# bench case 6 turns it off, to measure what the not-on-track check adds to a POST.
AT_ONCE_SQL_WITHOUT_NOT_ON_TRACK = at_once_sql(tuple(r for r in AT_ONCE_REASONS if r != "not_on_track"))

# The message holds no name, of patient or practitioner: the notification page
# shows the case's name to a reader who may see it, and email carries only a link.
NOTIFY = """
    INSERT INTO supervision_notification (user_id, flag_id, message, created_at)
    SELECT sa.supervisor_id, f.id,
           CASE f.reason WHEN 'risk' THEN 'Risk: a case needs supervision.'
                         WHEN 'deterioration' THEN 'Reliable deterioration: a case needs supervision.'
                         WHEN 'step_change' THEN 'A step change or discharge is proposed.'
                         ELSE 'A practitioner asks for supervision of a case.' END, %(now)s
    FROM supervision_flag f
    JOIN patients_referral r ON r.id = f.referral_id
    JOIN accounts_supervisionassignment sa ON sa.supervisee_id = r.assigned_practitioner_id
         AND sa.kind = 'case_management' AND sa.started <= (%(now)s AT TIME ZONE %(tz)s)::date
         AND (sa.ended IS NULL OR sa.ended >= (%(now)s AT TIME ZONE %(tz)s)::date)
    WHERE f.id = ANY(%(flag_ids)s) AND f.reason IN %(notify_reasons)s AND sa.supervisor_id <> r.assigned_practitioner_id
    ON CONFLICT (flag_id, user_id) DO NOTHING
    RETURNING id, user_id
"""


@dataclass
class SweepResult:
    raised: dict[str, int] = field(default_factory=dict)
    resolved: int = 0
    notified: int = 0

    @property
    def raised_total(self) -> int:
        return sum(self.raised.values())


def due_before(now: datetime) -> datetime:
    """Local midnight starting the day 28 days before today: a case last reviewed (or
    opened) before it is overdue. The same as "today - that day > 28" in local
    calendar days, as one bound an index can use."""
    zone = ZoneInfo(settings.TIME_ZONE)
    today = now.astimezone(zone).date()
    return datetime.combine(today - timedelta(days=REVIEW_INTERVAL_DAYS), time.min, tzinfo=zone)


def _params(now: datetime, referral_ids) -> dict:
    """The sweep's parameters, with the values of the anxiety measure's
    reference lists (thresholds read now, from sessions.measures.INSTRUMENTS)."""
    reference: dict = {}
    anxiety_sql.reference_values(reference)
    gad = measures.INSTRUMENTS["GAD7"]
    return {
        **reference,
        # read by bench/cases.py's reference statement (GAD-7 only)
        "gad_rc": gad.reliable_change,
        "gad_cut": gad.cutoff,
        "now": now,
        "due_before": due_before(now),
        "tz": settings.TIME_ZONE,
        "open": tuple(str(s) for s in OPEN_CASE_STATUSES),
        "interval": REVIEW_INTERVAL_DAYS,
        "attended": tuple(ATTENDED),
        "treatment_types": tuple(TREATMENT_APPOINTMENT_TYPES),
        "min_treatment": TREATMENT_SESSIONS_BEFORE_REVIEW,
        "dna": DID_NOT_ATTEND,
        "ids": [str(i) for i in referral_ids] if referral_ids is not None else None,
        "notify_reasons": NOTIFY_REASONS,
    }


DRAIN_QUEUE = "DELETE FROM supervision_sweepqueue RETURNING referral_id"
# Past this many queued cases (a backlog, a mass update) one pass over every case is cheaper
# than a list of ids; the flags are the same either way.
FULL_SWEEP_FROM = 50_000
# A run that raises or resolves this many flags analyses the flag table itself:
# the supervisor's dashboard is planned on its statistics, and with the nightly
# sweep's flags not yet sampled (autovacuum gets there minutes later) the
# planner drove it from every open flag instead of the supervisees' cases
# (bench, 2,000,000 referrals: 1.04 s instead of 5 ms).
ANALYZE_AFTER_CHANGES = 10_000
# A semi-join on the ids rather than `r.id = ANY(array)`, so the planner can reach each
# case's rows by index instead of filtering every open case (bench: 3,800 queued cases).
_ONLY = "AND r.id IN (SELECT unnest(%(ids)s::uuid[]))"


@transaction.atomic
def sweep(*, now: datetime | None = None, referral_ids=None, full: bool = False) -> SweepResult:
    """The flag sweep. By default incremental (the hourly job): the overdue criterion
    over every open case, the rest only for queued cases. `full=True` runs every
    criterion over every open case (nightly); `referral_ids` just those cases (after
    a session), leaving the queue alone. All three leave the same flags."""
    params = _params(now or timezone.now(), referral_ids)
    result = SweepResult()
    with connection.cursor() as cursor:
        # The sweep's own flag writes are not new evidence; restored below, so a
        # caller's enclosing transaction keeps queueing its later writes (on an error
        # the savepoint's rollback restores it).
        cursor.execute("SELECT set_config('iapt.sweep_queue', 'off', true)")
        if referral_ids is not None:
            clinical_only = overdue_only = _ONLY
        else:
            cursor.execute(DRAIN_QUEUE)
            queued = {row[0] for row in cursor.fetchall()}
            overdue_only = ""
            if full or len(queued) > FULL_SWEEP_FROM:
                clinical_only = ""
            else:
                params["ids"] = [str(i) for i in queued]
                clinical_only = _ONLY if queued else None
        _run(cursor, params, result, clinical_only, overdue_only)
        if referral_ids is not None:
            _email_pending(referral_ids)
        cursor.execute("SELECT set_config('iapt.sweep_queue', '', true)")
        if result.resolved + sum(result.raised.values()) >= ANALYZE_AFTER_CHANGES:
            cursor.execute("ANALYZE supervision_flag")
    return result


def _run(cursor, params: dict, result: SweepResult, clinical_only: str | None, overdue_only: str) -> None:
    """Resolves, then raises; `clinical_only` None skips all but the overdue criterion."""
    result.raised = dict.fromkeys(CRITERIA, 0)
    if clinical_only is not None:
        cursor.execute(RESOLVE.format(only=clinical_only), params)
        result.resolved = cursor.rowcount
    notify_ids = []
    for reason, sql in CRITERIA.items():
        only = overdue_only if reason == "overdue_review" else clinical_only
        if only is None:
            continue
        cursor.execute(sql.format(only=only), params)
        ids = [row[0] for row in cursor.fetchall()]
        result.raised[reason] = len(ids)
        if reason in NOTIFY_REASONS:
            notify_ids += ids
    if notify_ids:
        notification_ids = notify(cursor, params, notify_ids)
        result.notified = len(notification_ids)
        if notification_ids:
            transaction.on_commit(lambda: email_notifications(notification_ids))


# A notification whose email has not gone this long after it was raised is sent
# by beat's `supervision.email_notifications_due` (every minute): a lost commit
# hook, a worker killed before it ran, an SMTP error, or a claim that lost a race
# never leaves a risk without its email.
EMAIL_GRACE = timedelta(minutes=2)
EMAIL_SWEEP_BATCH = 500


def notify(cursor, params: dict, flag_ids, *, forget: bool = True) -> list[int]:
    """Tells the supervisors of these flags' cases (NOTIFY_REASONS only), once per
    flag and supervisor; their cached unread counts are dropped after commit
    (`forget`; a web request leaves that to the worker's run, so a Redis that
    hangs never holds up a save)."""
    from .unread import forget_unread

    cursor.execute(NOTIFY, {**params, "flag_ids": list(flag_ids)})
    rows = cursor.fetchall()
    if rows and forget:
        users = {row[1] for row in rows}
        transaction.on_commit(lambda: forget_unread(users))
    return [row[0] for row in rows]


def notify_now(flag_ids) -> list[int]:
    """Notifications for flags a service created itself (a PWP's request)."""
    with connection.cursor() as cursor:
        return notify(cursor, _params(timezone.now(), None), flag_ids, forget=False)


def flags_raise_now(referral_id) -> list[int]:
    """The outbox's in-transaction handler for `supervision.flag_referral`: the
    criteria a write can meet at once (AT_ONCE_REASONS) for this one case, in the
    writer's transaction, as one statement (AT_ONCE_SQL), and the notifications
    they call for; the sweep's SQL for each criterion, so the same flags. Email
    waits for the worker's run of the task, which also runs the remaining
    criteria (DOMAIN.md "Supervision")."""
    params = _params(timezone.now(), [referral_id])
    sql = AT_ONCE_SQL if settings.SUPERVISION_NOT_ON_TRACK_AT_ONCE else AT_ONCE_SQL_WITHOUT_NOT_ON_TRACK
    with connection.cursor() as cursor:
        cursor.execute(sql.format(only=_ONLY), params)
        raised = [row[0] for row in cursor.fetchall()]
        if raised:
            notify(cursor, params, raised, forget=False)
    return raised


def _email_pending(referral_ids) -> None:
    """Notifications of these cases not yet emailed (raised in a writer's
    transaction by `flags_raise_now`) are emailed after this run commits."""
    from .models import Notification
    from .unread import forget_unread

    pending = list(
        Notification.objects.filter(flag__referral_id__in=list(referral_ids), emailed_at__isnull=True).values_list(
            "pk", "user_id"
        )
    )
    if pending:
        ids, users = [row[0] for row in pending], {row[1] for row in pending}
        transaction.on_commit(lambda: forget_unread(users))
        transaction.on_commit(lambda: email_notifications(ids))


# A notification's email by its kind (models.NotificationKind): subject and first
# line, no patient detail (DOMAIN.md "Supervision"; issue 20 for the two kinds a
# patient's own answer raises).
EMAIL_WORDS = {
    NotificationKind.SUPERVISION: (
        "Talking Therapies: a case needs supervision",
        "A case held by one of your supervisees needs case-management supervision.",
    ),
    NotificationKind.PATIENT_RISK: (
        "Talking Therapies: a patient's risk answer needs a clinician today",
        "A patient answered a risk question before their appointment. A clinician needs to act on it today.",
    ),
    NotificationKind.URGENT_SELF_REFERRAL: (
        "Talking Therapies: an urgent self-referral is waiting",
        "Someone who referred themselves answered a risk question yes. A clinician needs to contact them today.",
    ),
}


def email_notifications(notification_ids) -> int:
    """Emails each of the notifications (ids) not yet emailed, exactly once.

    Each is claimed on its own in a short transaction that locks only the
    notification's row (`FOR UPDATE OF supervision_notification SKIP LOCKED`:
    neither the user's row, which any session may hold, nor another claim for
    the same supervisor blocks it), sent, and marked `emailed_at` in the same
    transaction. A row another process holds is skipped: that process sends
    it. A failed send rolls the mark back, so the periodic sweep
    (`email_notifications_due`) sends it later. Only a crash between the SMTP
    server taking the message and the commit can send one twice. No patient
    detail goes in the email (DOMAIN.md "Supervision": risk is notified at once).
    Returns the number of emails sent."""
    from .models import Notification

    sent = 0
    for notification_id in notification_ids:
        try:
            with transaction.atomic():
                notification = (
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("user")
                    .filter(pk=notification_id, emailed_at__isnull=True)
                    .first()
                )
                if notification is None:
                    continue  # emailed already, or another process is sending it
                if notification.user.email:
                    subject, opening = EMAIL_WORDS[notification.kind]
                    send_mail(
                        subject,
                        f"{opening}\n"
                        f"Log in to see it: {settings.SITE_URL.rstrip('/')}"
                        f"{reverse('supervision:notification_open', args=[notification.pk])}\n",
                        settings.DEFAULT_FROM_EMAIL,
                        [notification.user.email],
                    )
                    sent += 1
                Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
        except Exception:  # noqa: BLE001 - one failed email must not stop the others; the sweep retries it
            logger.warning("notification %s: email not sent; the sweep retries it", notification_id, exc_info=True)
    return sent


def email_notifications_due(*, now: datetime | None = None, grace: timedelta = EMAIL_GRACE) -> int:
    """The periodic catch-up: emails every notification raised more than
    `grace` ago whose email has not gone (oldest first, EMAIL_SWEEP_BATCH a run).
    Reads the partial index `notification_email_due_idx`. Returns emails sent."""
    from .models import Notification

    due = (
        Notification.objects.filter(emailed_at__isnull=True, created_at__lte=(now or timezone.now()) - grace)
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:EMAIL_SWEEP_BATCH]
    )
    return email_notifications(list(due))
