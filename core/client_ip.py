"""The client's address: NUM_PROXIES proxies in front are trusted, each appending the address it was reached from to
X-Forwarded-For; the client is the entry that many from the header's end (DRF's rule). With 0, or without the
header, it is REMOTE_ADDR and the header is ignored. Entries a client sent itself stand left of the proxies' and are
never read; a header with fewer entries than proxies gives its first one.

Every count by address goes through ``client_ip``: django-ratelimit (RATELIMIT_IP_META_KEY), django-axes
(AXES_CLIENT_IP_CALLABLE), the API's throttles (api.throttling) and the metrics' allowed addresses.

django-ipware cannot say this rule (tests/core/test_client_ip.py compares the two where they agree): its
``proxy_count`` (our NUM_PROXIES - 1) needs exactly that many proxies in strict mode, so a client's own entries void
the header; without strict mode it reads quotes as RFC 7239 does and skips what it cannot parse, so a client
sending ``1.2.3.4, "x`` in front of the proxy's entry is taken for 1.2.3.4.
"""

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if not settings.NUM_PROXIES or not forwarded:
        return remote
    addresses = forwarded.split(",")
    return addresses[-min(settings.NUM_PROXIES, len(addresses))].strip()
