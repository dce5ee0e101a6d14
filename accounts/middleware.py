"""Two-factor as a property of the session, for accounts.policy: whether this session's log-in passed a second
factor (allauth.mfa's step is in allauth's record of how the session logged in)."""

import functools

from allauth.account.authentication import get_authentication_records
from django.contrib.auth.middleware import get_user
from django.utils.functional import SimpleLazyObject


def second_factor_passed(request, user) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def _user(request):
    user = get_user(request)
    if user.is_authenticated:
        user.is_verified = functools.partial(second_factor_passed, request, user)
    return user


class TwoFactorMiddleware:
    """Gives the request's user ``is_verified()`` (after AuthenticationMiddleware), still lazily."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.user = SimpleLazyObject(functools.partial(_user, request))
        return self.get_response(request)
