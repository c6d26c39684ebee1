"""The My caseload page (the read is supervision/caseload.py). Wired into the
"sessions" URL namespace by the project's URLconf (iapt/urls.py), where it has
always been addressed (`sessions:caseload`)."""

import uuid

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from patients.selectors import audit_list
from sessions.forms import CaseloadFilterForm
from sessions.views import CLINICAL_ROLES

from . import caseload as caseload_read


def _page_request(query) -> tuple[int, bool]:
    """The page asked for (?page=N, 1 if absent or not a number) and whether every
    case is asked for on one page (?all=1)."""
    try:
        page = int(query.get("page", "1"))
    except ValueError:
        page = 1
    return max(1, min(page, 10_000)), query.get("all") == "1"


def caseload(request):
    if request.user.role not in CLINICAL_ROLES:
        raise Http404
    form = CaseloadFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page_number, show_all = _page_request(request.GET)
    page = caseload_read.caseload_for_user(
        user=request.user,
        filters=filters,
        sort=filters.get("sort") or "risk",
        page=page_number,
        page_size=None if show_all else caseload_read.CASELOAD_PAGE_SIZE,
    )
    audit_list(user=request.user, object_type="caseload", rows=page.rows)
    capacity = request.user.capacity()
    filtered = any(filters.get(k) for k in ("step", "problem_descriptor", "risk_only", "overdue_only"))
    # The record link of each row, built from one reverse() (a reverse per row
    # was a tenth of the page's time at 250 rows).
    record_url = reverse("sessions:record", args=[_URL_PLACEHOLDER]).replace(str(_URL_PLACEHOLDER), "{}")
    session_url = reverse("sessions:session_create", args=[_URL_PLACEHOLDER]).replace(str(_URL_PLACEHOLDER), "{}")
    for row in page.rows:
        row.record_url = record_url.format(row.pk)
        row.session_url = session_url.format(row.pk)
    return render(
        request,
        "sessions/caseload.html",
        {
            "form": form,
            "page": page,
            "rows": page.rows,
            "capacity": capacity,
            "open_cases": None if filtered else page.total,
            "show_all": show_all,
            "page_numbers": range(1, page.pages + 1),
            "page_size": caseload_read.CASELOAD_PAGE_SIZE,
            "is_trainee": request.user.is_trainee,
        },
    )


_URL_PLACEHOLDER = uuid.UUID(int=0)
