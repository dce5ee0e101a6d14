from django.http import JsonResponse
from django.views import defaults


def page_not_found(request, exception):
    """Under /api/ a 404 is JSON, like every other API answer."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
