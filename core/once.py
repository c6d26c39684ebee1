"""One-time form tokens: every web form that creates a record carries one, so a
double submit (a double click, a resent POST after a slow answer, three tabs at
once) saves once and shows the saved record (issue 14 item 1).

The page renders a fresh token (`{% once_token %}` in core/templatetags/once.py).
The POST claims it with `INSERT ... ON CONFLICT DO NOTHING` in the transaction
that saves the record: a second POST with the same token waits on the first's
uncommitted row, and once that commits finds it and is sent to the record it
saved. A POST whose input is refused gives its claim back (the row is deleted in
the same transaction), so the corrected form saves. The claim lives in
PostgreSQL, never in process memory: any number of web processes."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import HttpResponse
from django.shortcuts import redirect

from core.forms import apply_validation_error

FIELD = "form_token"
REPLAYED = "This form was already saved (it was sent more than once); here is what was saved."


def new_token() -> str:
    return uuid.uuid4().hex


def posted_token(data) -> uuid.UUID | None:
    """The token of a POST, or None when it has none or not a well-formed one
    (a client that sends none gets no replay; the record's own constraints
    still hold)."""
    raw = data.get(FIELD, "") if data is not None else ""
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def claim(*, token: uuid.UUID, user, redirect_to: str = "") -> str | None:
    """Claims `token` for `user` in the current transaction. None when this POST
    holds the claim; otherwise the URL of the record the first POST saved (it
    waits for that POST's transaction to end first). Shape: one INSERT, plus
    one SELECT when the token was used. `redirect_to` may be given now when the
    record's page is known before saving (the session forms)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO core_formsubmission (token, user_id, created_at, redirect_to) "
            "VALUES (%s, %s, now(), %s) ON CONFLICT (token) DO NOTHING RETURNING token",
            [token, user.pk, redirect_to],
        )
        if cursor.fetchone() is not None:
            return None
        cursor.execute("SELECT user_id, redirect_to FROM core_formsubmission WHERE token = %s", [token])
        row = cursor.fetchone()
    if row is None or row[0] != user.pk:
        # Not this user's token (or given back meanwhile): no replay across users.
        return None
    from django.urls import reverse

    return row[1] or reverse("home")


def release(*, token: uuid.UUID, user) -> None:
    """Gives a claim back: the POST's input was refused, nothing was saved."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_formsubmission WHERE token = %s AND user_id = %s", [token, user.pk])


def complete(*, token: uuid.UUID, user, redirect_to: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_formsubmission SET redirect_to = %s WHERE token = %s AND user_id = %s",
            [redirect_to, token, user.pk],
        )


def submit_once(request, form, *, save: Callable[[], str], success: str, redirect_to: str = "") -> HttpResponse | None:
    """Validates `form` and calls `save()` (which writes through a service and
    returns the URL of the saved record) at most once per form token.

    Returns the redirect to the saved record (with `success`, or with the
    "already saved" message for a repeated token), or None when the form has
    errors (a service's ValidationError is put beside its fields), so the view
    renders the form again. Runs in the caller's transaction if there is one,
    else in its own; never a savepoint of its own."""
    token = posted_token(request.POST)
    with transaction.atomic(savepoint=False):
        if token is not None:
            saved_at = claim(token=token, user=request.user, redirect_to=redirect_to)
            if saved_at is not None:
                messages.info(request, REPLAYED)
                return redirect(saved_at)
        if form.is_valid():
            try:
                url = save()
            except ValidationError as exc:
                apply_validation_error(form, exc)
            else:
                if token is not None and url != redirect_to:
                    complete(token=token, user=request.user, redirect_to=url)
                messages.success(request, success)
                return redirect(url)
        if token is not None:
            release(token=token, user=request.user)
    return None
