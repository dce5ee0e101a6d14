"""While the database (or Redis, with REDIS_URL) is out (a restart, a failover, a network cut), pages and the API
answer 503 with Retry-After, never a 500 or a stack trace, and recover by themselves: each request opens a new
connection once the old one broke (Django's CONN_HEALTH_CHECKS; redis-py reconnects).

The middleware answers for what a view raised; config.views.server_error for what a middleware raised (a
session read or write), which Django turns into a 500 before any middleware sees it.
"""

import logging

import redis
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string

from evaluation.outage import OUTAGE_ERRORS, connection_reset

log = logging.getLogger(__name__)
RETRY_AFTER_S = 10
# The database's outage errors, and Redis's (REDIS_URL: the rate limits and caches every request reads).
UNAVAILABLE = (*OUTAGE_ERRORS, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


def is_unavailable(error: BaseException | None) -> bool:
    return isinstance(error, UNAVAILABLE)


def unavailable(request) -> HttpResponse:
    """The 503, rendered without the request (its user and session would query the database again)."""
    connection_reset()
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"detail": "The site's database or cache is unavailable for a moment; try again shortly."}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html", {"retry_after": RETRY_AFTER_S}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_S)
    return response


class StorageOutage:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_unavailable(exception):
            return None
        log.warning("%s %s: 503, the database or cache is unavailable (%s)", request.method, request.path, exception)
        return unavailable(request)
