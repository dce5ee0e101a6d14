"""The API's throttles: DRF's, counted per client address (core.client_ip) or per user in the default cache."""

from django.conf import settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.client_ip import client_ip


class AnonymousRateThrottle(AnonRateThrottle):
    """DRF's "anon" rate, per client address by the site's one rule (core.client_ip), as the web rate limits and
    the log-in lockout count, rather than by DRF's own reading of X-Forwarded-For."""

    def get_ident(self, request):
        return client_ip(request)


class SignedInRateThrottle(UserRateThrottle):
    """DRF's "user" rate, for signed-in clients only. DRF's own user throttle also counts an anonymous client, by
    its address, under the looser rate, which AnonRateThrottle's count already bounds: two more cache writes to
    the database on every anonymous request, for nothing."""

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return super().get_cache_key(request, view)


class VoteRateThrottle(SignedInRateThrottle):
    """Votes cast and withdrawn per user: RATELIMIT_VOTES, as on the site (counted apart)."""

    scope = "votes"

    def get_rate(self):
        return settings.RATELIMITS["votes"][1]
