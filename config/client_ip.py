"""The client's address, by DRF's rule: NUM_PROXIES proxies are trusted (0: REMOTE_ADDR, X-Forwarded-For ignored).

django-ratelimit (RATELIMIT_IP_META_KEY) and django-axes (AXES_CLIENT_IP_CALLABLE) call it; the API's
throttles read the same NUM_PROXIES through REST_FRAMEWORK.
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not settings.NUM_PROXIES or not forwarded:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(settings.NUM_PROXIES, len(addresses))].strip()
