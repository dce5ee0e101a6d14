"""The API's throttles: DRF's, counted per client address (NUM_PROXIES) or per user in the default cache."""

from django.conf import settings
from rest_framework.throttling import UserRateThrottle


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
