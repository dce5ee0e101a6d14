"""The one moderation policy: every place that asks "may this user moderate?" asks it here (the submissions'
services, the web views, the admin's actions and site, the API).

A moderator is an active staff user with the permission the moderation needs (``submissions.change_modelsubmission``
for submissions and runs, ``leaderboard.change_flag`` for flags) who has passed two-factor in this session.

Two-factor is a property of the session (django-otp): a user who has a confirmed TOTP device (or every staff user,
with ``OTP_ADMIN_REQUIRED``) is verified only once the session was given a code from it (the admin's log-in asks for
one). Until then they are not a moderator anywhere: not in the admin, not on the site, not in the API with their
session, and they cannot create ``moderate`` tokens. A ``moderate`` token, which only a verified session can create,
stands for the second factor in the requests it authenticates (``api.authentication`` marks its user verified).

Whose votes count in the queue's order is decided here too (``counted_voters``).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django_otp import user_has_device

MODERATE_SUBMISSIONS = "submissions.change_modelsubmission"
MODERATE_FLAGS = "leaderboard.change_flag"


def two_factor_passed(user) -> bool:
    """Whether ``user`` gave a code in this session, or needs none (no device and two-factor not required).

    The user must come from a request (django-otp's middleware gives it ``is_verified``); a user read from the
    database counts as unverified when they have a device.
    """
    if user is None or not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return True
    return not ((settings.OTP_ADMIN_REQUIRED and user.is_staff) or user_has_device(user))


def can_moderate(user, permission: str = MODERATE_SUBMISSIONS) -> bool:
    """Whether ``user`` (from the request) may moderate what ``permission`` guards."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_staff
        and user.has_perm(permission)
        and two_factor_passed(user)
    )


def can_create_token(user, scope: str) -> bool:
    """A ``moderate`` token only from a session that passed two-factor (or needs none); other scopes for anyone
    signed in. What the token may then do is still the user's permissions'."""
    if scope == "moderate":
        return two_factor_passed(user)
    return bool(user is not None and user.is_authenticated)


def counted_voters() -> Q:
    """The users (a filter on the user model) whose votes count: accounts at least VOTE_MIN_ACCOUNT_DAYS old with a
    verified email address or a hub login, active. The one place that says so: the votes' count and the vote
    pages ask it.

    A verified address is, today, ``User.email``: sign-up attaches one only once its link was followed
    (accounts.services.user_email_confirm). Accounts have no hub login yet; with django-allauth this becomes an
    ``EmailAddress`` with ``verified`` or a ``SocialAccount`` of the hub's provider.
    """
    joined_before = timezone.now() - timedelta(days=settings.VOTE_MIN_ACCOUNT_DAYS)
    return Q(is_active=True, date_joined__lte=joined_before) & ~Q(email="")


def vote_counts(user) -> bool:
    """Whether ``user``'s votes count now (``counted_voters``)."""
    if user is None or not user.is_authenticated:
        return False
    return get_user_model().objects.filter(counted_voters(), pk=user.pk).exists()
