"""The site's URLs plus the benchmark's bare page: an authenticated view that
renders the same template shell (base.html) with nothing in it, the floor a
page of ours is compared with."""

from django.http import HttpResponse
from django.template import engines
from django.urls import path

from iapt.urls import urlpatterns as site_urlpatterns

_SHELL = engines["django"].from_string('{% extends "base.html" %}{% block content %}{% endblock %}')


def bare_shell(request):
    return HttpResponse(_SHELL.render({}, request))


urlpatterns = [*site_urlpatterns, path("bench/shell/", bare_shell, name="bench_shell")]
