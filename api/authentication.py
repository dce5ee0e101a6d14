import functools

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, Scope, token_digest
from api.throttling import AnonymousRateThrottle


class InvalidTokenThrottle(AnonymousRateThrottle):
    """A request with an invalid token counts as an anonymous one from its address (the same rate and count)."""

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


def refuse_throttled(request) -> None:
    """A 429 instead of the 401 once the client is over the anonymous rate: guessing tokens costs as much as any
    anonymous request (and each is a database lookup)."""
    throttle = InvalidTokenThrottle()
    if not throttle.allow_request(request._request, None):
        raise exceptions.Throttled(throttle.wait())


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Bearer <token>`` (``Token <token>`` works too)."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as 'Authorization: Bearer <token>'.")
        token = ApiToken.objects.select_related("user").filter(digest=token_digest(header[1])).first()
        if token is None or not token.user.is_active:
            refuse_throttled(request)
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        if token.expires_at is not None and token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed(
                f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC: create a new one on your tokens page."
            )
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        # Two-factor (accounts.policy): a moderate token was created from a verified session and stands for it.
        token.user.is_verified = functools.partial(token.allows, Scope.MODERATE)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
