"""The access audit log: every read and write of a patient record, never its content.

The request's id (always the server's own), the id a client sent (kept apart)
and the client address come from RequestContextMiddleware through context
variables, so services and selectors can audit without a request object
(Celery tasks and commands audit with their own request id).
"""

from __future__ import annotations

import contextvars
import uuid

from .models import AccessAction, AccessLog

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
client_request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("client_request_id", default="")
client_ip_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)


def audit_record(
    *,
    user,
    action: str,
    object_type: str,
    object_id="",
    patient_id: uuid.UUID | str | None = None,
    detail: dict | None = None,
) -> AccessLog:
    return AccessLog.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "system",
        role=getattr(user, "role", "") or "system",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_id=patient_id,
        ip=client_ip_var.get(),
        request_id=request_id_var.get() or uuid.uuid4().hex,
        client_request_id=client_request_id_var.get(),
        detail=detail or {},
    )


def audit_view(*, user, obj, patient_id=None) -> AccessLog:
    return audit_record(
        user=user,
        action=AccessAction.VIEW,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        patient_id=patient_id,
    )
