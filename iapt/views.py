"""Error pages. They render without the request (no user, no database), so they
still work when the database does not."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

# The database is down, restarting or unreachable: the request changed nothing
# (every write is one transaction), so the user may simply try again.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def server_error(request):
    """handler500: a database outage is a 503 with a plain page; anything else
    the usual 500. Django calls this while handling the exception, so
    sys.exc_info() holds it."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse(loader.get_template("500.html").render(), status=500)
