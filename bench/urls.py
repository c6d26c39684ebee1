"""The site's URLs plus the benchmark's two reference pages (case 4):

- the bare shell: an authenticated view that renders the same template shell
  (base.html) with nothing in it, the floor a page of ours is compared with
  (the issue's reference);
- the static page: the same page's own template rendered with the same context
  the real view produced (the same rows), held in memory, so no SQL runs. Our
  page over it is what our data access costs; it over the shell is what the
  template engine costs to draw those rows.

Both go through the same middleware as the pages they are compared with
(LoginRequiredMiddleware makes every view here an authenticated one)."""

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template import engines
from django.urls import path

from iapt.urls import urlpatterns as site_urlpatterns

_SHELL = engines["django"].from_string('{% extends "base.html" %}{% block content %}{% endblock %}')

# name -> (template name, context), filled by the bench (bench/cases.py) from a
# real response of the page before it times the static reference.
STATIC_PAGES: dict[str, tuple[str, dict]] = {}


def bare_shell(request):
    return HttpResponse(_SHELL.render({}, request))


def static_page(request, name):
    try:
        template, context = STATIC_PAGES[name]
    except KeyError as exc:
        raise Http404 from exc
    return render(request, template, context)


urlpatterns = [
    *site_urlpatterns,
    path("bench/shell/", bare_shell, name="bench_shell"),
    path("bench/static/<slug:name>/", static_page, name="bench_static"),
]
