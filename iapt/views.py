"""Error pages. They render without the request (no user, no database), so they
still work when the database does not."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader

# The database is down, restarting or unreachable: the request changed nothing
# (every write is one transaction), so the user may simply try again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """handler500: a database outage is a 503 with a plain page; anything else
    the usual 500. Under /api/ both are JSON in the API's error shape
    (`{"detail": ...}`, as core/api.py and the API's 404 answer) with
    `Retry-After`, so a client reads them as it reads every other error.
    Django calls this while handling the exception, so sys.exc_info() holds it."""
    unavailable = isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE)
    if request is not None and request.path.startswith("/api/"):
        if unavailable:
            body, status = {"detail": "The service is temporarily unavailable. Try again shortly."}, 503
        else:
            body, status = {"detail": "A server error occurred. Try again later."}, 500
        response = JsonResponse(body, status=status)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if unavailable:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
