import sys

from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views import defaults

from operations.outage import is_unavailable, unavailable


def bad_request(request, exception):
    """Under /api/ a 400 is JSON; elsewhere templates/400.html, rendered with the request like every page (Django's
    own handler renders it without one, which the header's links need: config.context_processors.nav)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Bad request."}, status=400)
    return render(request, "400.html", status=400)


def page_not_found(request, exception):
    """Under /api/ a 404 is JSON, like every other API answer."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Under /api/ a 500 is JSON too; elsewhere templates/500.html, with no detail of the failure. A database
    or cache outage that a middleware ran into (operations.outage handles the views') is a 503 with Retry-After."""
    if is_unavailable(sys.exc_info()[1]):
        return unavailable(request)
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)


def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page's <link rel="icon"> says: the site's icon."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
