"""Server-side drafts of the session and assessment forms (issue 15: no typed
word lost). Writes (`session_draft_save`, `session_draft_discard`) and the read
(`session_draft_get_for_user`) follow STYLE.md: atomic, audited, access checked
by the caller's selector (patients.selectors.referral_get_for_user) and here by
role and ownership: a draft is only ever its author's.

Audit: the draft's creation, each restore onto a form, and its removal are
written to the access log like any clinical text (never the text itself). The
autosave every few seconds updates the row without a log entry of its own, so a
30-minute session does not leave 600 audit rows; the creation entry and the
removal entry bound it."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import policy
from accounts.audit import audit_record
from accounts.models import AccessAction, Role, User
from accounts.policy import WriteAction
from patients.models import Referral

from .models import SessionDraft

# The roles that record sessions (a coarse gate before the referral is read); on
# a given case the write policy decides (accounts/policy.py, SESSION_RECORD).
RECORDING_ROLES = frozenset({Role.PWP, Role.HIT, Role.SUPERVISOR})

MAX_DRAFT_FIELDS = 200
MAX_VALUE_CHARS = 20_000
# What a draft never keeps: the CSRF token and one-time form tokens are the page's, not the person's.
NOT_KEPT = frozenset({"csrfmiddlewaretoken", "form_token"})


def _check(user: User, referral: Referral, kind: str) -> None:
    if user.role not in RECORDING_ROLES or not policy.allowed(WriteAction.SESSION_RECORD, user, referral):
        raise ValidationError("Only a practitioner who may record on this case keeps drafts of its sessions.")
    if kind not in dict(SessionDraft.KINDS):
        raise ValidationError({"kind": "Unknown form."})
    if not referral.is_open:
        raise ValidationError("This referral has ended; its record is read-only.")


def referral_for_draft(*, user: User, referral_id) -> Referral:
    """The referral a draft is kept for, by the same rule as the record
    (Referral.objects.visible_to; 404 outside it). Not audited as a read: the
    autosave posts every few seconds and shows nothing; the draft's own entries
    (created, restored, removed) are the audit."""
    from django.http import Http404

    if user.role not in RECORDING_ROLES:
        raise Http404
    try:
        return Referral.objects.visible_to(user).get(pk=referral_id)
    except (Referral.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such referral") from exc


def clean_draft_data(fields: dict[str, list[str]], allowed: set[str]) -> dict[str, list[str]]:
    """The posted form as {field name: [values]}, kept to the form's own fields,
    each value cut to MAX_VALUE_CHARS and stripped of NUL characters. Raises
    ValidationError when there are more than MAX_DRAFT_FIELDS fields."""
    data = {}
    for name, values in fields.items():
        if name in NOT_KEPT or name not in allowed:
            continue
        data[name] = [str(v).replace("\x00", "")[:MAX_VALUE_CHARS] for v in values[:50]]
    if len(data) > MAX_DRAFT_FIELDS:
        raise ValidationError("Too many fields for a draft.")
    return data


@transaction.atomic
def session_draft_save(
    *, user: User, referral: Referral, kind: str, data: dict[str, list[str]], opened_at=None
) -> SessionDraft | None:
    """Keeps (creates or replaces) the user's draft of this form for this referral.
    data: {field name: [values]} as clean_draft_data returns it. opened_at: when
    the page that posts it was served; a draft from a page whose session this
    user has saved since (an autosave that crossed the Save) is not kept, and
    None is returned."""
    _check(user, referral, kind)
    now = timezone.now()
    if opened_at is not None:
        from .models import TherapySession

        if TherapySession.objects.filter(referral=referral, created_by=user, created_at__gte=opened_at).exists():
            return None
    draft, created = SessionDraft.objects.update_or_create(
        user=user, referral=referral, kind=kind, defaults={"data": data, "updated_at": now}
    )
    if created:
        audit_record(
            user=user,
            action=AccessAction.CREATE,
            object_type="sessiondraft",
            object_id=draft.pk,
            patient_id=referral.patient_id,
            detail={"kind": kind},
        )
    return draft


def session_draft_get_for_user(*, user: User, referral: Referral, kind: str) -> SessionDraft | None:
    """The user's own draft of this form, audited as a read when there is one."""
    if user.role not in RECORDING_ROLES:
        return None
    draft = SessionDraft.objects.filter(user=user, referral=referral, kind=kind).first()
    if draft is not None:
        audit_record(
            user=user,
            action=AccessAction.VIEW,
            object_type="sessiondraft",
            object_id=draft.pk,
            patient_id=referral.patient_id,
            detail={"kind": kind},
        )
    return draft


def session_draft_discard(*, user: User, referral: Referral, kind: str, reason: str = "discarded") -> int:
    """Removes the user's draft of this form (on discard, or when the session is
    saved: reason "saved"), in the caller's transaction when there is one (one
    DELETE on the session's save: no savepoint of its own). Returns how many
    were removed (0 or 1)."""
    with transaction.atomic(savepoint=False):
        deleted = SessionDraft.objects.filter(user=user, referral=referral, kind=kind)._raw_delete(
            SessionDraft.objects.db
        )
        if deleted:
            audit_record(
                user=user,
                action=AccessAction.DELETE,
                object_type="sessiondraft",
                patient_id=referral.patient_id,
                detail={"kind": kind, "reason": reason},
            )
    return deleted


def initial_from_draft(draft: SessionDraft, multi: set[str]) -> dict:
    """A form's initial values from a draft: lists for multiple-choice fields, one value otherwise."""
    return {name: (values if name in multi else (values[0] if values else "")) for name, values in draft.data.items()}


DRAFT_MODEL = "therapy_sessions.SessionDraft"


def drafts_due(*, now=None):
    """Unsaved session-form drafts older than DRAFT_RETENTION_DAYS days: clinical
    text nobody saved, kept only long enough to be restored (issue 15). Returns
    (queryset, days)."""
    from django.conf import settings
    from django.utils import timezone

    days = int(getattr(settings, "DRAFT_RETENTION_DAYS", 14))
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return SessionDraft.objects.filter(updated_at__lt=cutoff), days


@transaction.atomic
def drafts_purge(*, now=None) -> int:
    """Deletes the drafts past their period and audits the purge (count only)."""
    qs, days = drafts_due(now=now)
    deleted = qs._raw_delete(qs.db)
    audit_record(
        user=None,
        action=AccessAction.PURGE,
        object_type="session_drafts",
        detail={"deleted": {DRAFT_MODEL: deleted}, "retention_days": days},
    )
    return deleted
