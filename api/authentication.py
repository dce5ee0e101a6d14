import functools

from django.utils import timezone
from rest_framework import authentication, exceptions

from accounts.models import ApiToken, Scope, token_digest


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
