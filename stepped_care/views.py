from django.shortcuts import render

from patients.selectors import audit_list

from .selectors import MOVED_DAYS, recently_moved_for_user, step_change_outcome_for_user, waiting_lists_for_user


def waiting_lists(request):
    lists = waiting_lists_for_user(user=request.user)
    audit_list(user=request.user, object_type="waiting_list", rows=[r for wl in lists for r in wl.rows])
    return render(request, "stepped_care/waiting_lists.html", {"lists": lists})


def step_change_outcome(request, change_id):
    """Where the case went after a step change or discharge (issue 16 item 6)."""
    change = step_change_outcome_for_user(user=request.user, change_id=change_id)
    next_url = request.GET.get("next", "")
    if not next_url.startswith("/supervision/") or "//" in next_url:
        next_url = ""  # only a supervision page of this site: no open redirect
    return render(request, "stepped_care/step_change_outcome.html", {"change": change, "next_url": next_url})


def recently_moved(request):
    rows = recently_moved_for_user(user=request.user)
    audit_list(user=request.user, object_type="recently_moved", rows=rows)
    return render(request, "stepped_care/recently_moved.html", {"rows": rows, "days": MOVED_DAYS})
