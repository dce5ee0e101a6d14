"""While the database is out (a restart, a failover, a network cut), pages and the API answer 503 with Retry-After,
never a 500 or a stack trace, and recover by themselves: each request opens a new connection once the old one
broke (Django's CONN_HEALTH_CHECKS).

The middleware answers for what a view raised; config.views.server_error for what a middleware raised (a
session read or write), which Django turns into a 500 before any middleware sees it.
"""

import logging

from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from evaluation.outage import connection_reset, is_outage

log = logging.getLogger(__name__)
RETRY_AFTER_S = 10


def unavailable(request) -> HttpResponse:
    """The 503, rendered without the request (its user and session would query the database again)."""
    connection_reset()
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": "The database is unavailable for a moment; try again shortly."}, status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"retry_after": RETRY_AFTER_S}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class DatabaseUnavailable:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        log.warning("%s %s: 503, the database is unavailable (%s)", request.method, request.path, exception)
        return unavailable(request)
