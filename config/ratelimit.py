"""Rate limits of the web pages, exports, downloads and account forms (django-ratelimit), answered with a 429.

The API has DRF's throttles instead (REST_FRAMEWORK). Each limit is a group of settings.RATELIMITS, counted per
client address (core.client_ip) for anonymous clients and per user for signed-in ones, in fixed windows.
"""

from django.conf import settings
from django.shortcuts import render
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from core.client_ip import client_ip


def email(group: str, request) -> str:
    """The address a password reset is asked for (as one address however it is spelled), with the client asking:
    keyed by the address alone, anyone could use up a victim's resets and block theirs."""
    return f"{request.POST.get('email', '').strip().lower()} {client_ip(request)}"


# url name: the extra limits (group, key, method) its requests count against, besides "pages" or "exports".
FORMS = {
    "account_login": [("login", "ip", "POST")],
    "account_signup": [("signup", "ip", "POST")],
    "account_reset_password": [("password-reset", "ip", "POST"), ("password-reset-email", email, "POST")],
    "submission-vote": [("votes", "user_or_ip", "POST")],
}
EXPORTS = {"leaderboard-csv", "leaderboard-json", "run-download"}
# Polled by load balancers and scrapers, never limited: liveness costs nothing, readiness is computed at most once a
# second per process (and must say when the rate limits' own cache is down), metrics are closed to others.
OPERATIONS = {"health-live", "health-ready", "metrics"}


def rate(group: str, request) -> str:
    """The group's rate for this request: settings.RATELIMITS[group] is (anonymous, signed in)."""
    anonymous, signed_in = settings.RATELIMITS[group]
    return signed_in if request.user.is_authenticated else anonymous


def limits(url_name: str) -> list[tuple[str, str, object]]:
    return [("exports" if url_name in EXPORTS else "pages", "user_or_ip", ALL), *FORMS.get(url_name, [])]


def too_many_requests(request, retry_after: int):
    response = render(request, "429.html", {"retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


class WebRateLimit:
    """Counts every request to a page (not the API, which DRF throttles) against its limits; over one: a 429."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if match.route.startswith("api/") or match.url_name in OPERATIONS:
            return None
        retry_after = 0
        for group, key, method in limits(match.url_name or ""):
            usage = get_usage(request, group=group, key=key, rate=rate, method=method, increment=True)
            if usage and usage["should_limit"]:
                retry_after = max(retry_after, usage["time_left"], 1)
        return too_many_requests(request, retry_after) if retry_after else None
