"""The public pages' common ground: pages anyone may open without logging in
(self-referral, questionnaires, the urgent-help page). They render
templates/public/base.html, the NHS design system's page (nhsuk-frontend from
npm, served by this site). A view here says so with `public_view`, which lifts
the log-in requirement (Django's LoginRequiredMiddleware) and keeps the answer
out of shared caches, as a page that may carry a patient's answers must."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import render
from django.urls import path
from django.utils.cache import add_never_cache_headers


def public_view(view):
    """Mark `view` (a function view) as public: no log-in, never cached
    (Cache-Control: no-store). Returns the wrapped view."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return login_not_required(wrapped)


@public_view
def urgent_help(request):
    """GET: where to get help at once (NHS 111 option 2, 999, Samaritans, A&E;
    DOMAIN.md "Risk"). Linked from every public page's footer."""
    return render(request, "public/urgent_help.html")


app_name = "public"
urlpatterns = [path("help/urgent/", urgent_help, name="urgent_help")]
