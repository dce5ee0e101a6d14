from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception):
    """Under /api/ a 404 is JSON, like every other API answer."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Under /api/ a 500 is JSON too; elsewhere templates/500.html, with no detail of the failure."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Server error."}, status=500)
    return defaults.server_error(request)
