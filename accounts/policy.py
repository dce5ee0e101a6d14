"""The one moderation policy: every place that asks "may this user moderate?" asks it here (the submissions'
services, the web views, the admin's actions and site, the API); and the one answer to "does this user submit
for that organisation?", which decides which quota a submission counts against (submissions.services).

A moderator is an active staff user with the permission the moderation needs (``submissions.change_modelsubmission``
for submissions and runs, ``flags.change_flag`` for flags) who has passed two-factor in this session.

Two-factor is a property of the session (allauth.mfa, accounts.middleware): a user who has an authenticator (or every
staff user, with ``OTP_ADMIN_REQUIRED``) is verified only in a session whose log-in was given a code from it (the
site's log-in asks for one; the admin's is the site's). Until then they are not a moderator anywhere: not in the admin, not on the site, not in the API with their
session, and they cannot create ``moderate`` tokens. A ``moderate`` token, which only a verified session can create,
stands for the second factor in the requests it authenticates (``api.authentication`` marks its user verified).

Whose votes count in the queue's order is decided here too (``counted_voters``).
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from allauth.mfa.utils import is_mfa_enabled
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.hub_oauth import HUB_PROVIDER
from accounts.selectors import hub_organisations

MODERATE_SUBMISSIONS = "submissions.change_modelsubmission"
MODERATE_FLAGS = "flags.change_flag"


def two_factor_passed(user) -> bool:
    """Whether ``user`` gave a code in this session, or needs none (no device and two-factor not required).

    The user must come from a request (accounts.middleware gives it ``is_verified``); a user read from the
    database counts as unverified when they have an authenticator.
    """
    if user is None or not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return True
    return not ((settings.OTP_ADMIN_REQUIRED and user.is_staff) or is_mfa_enabled(user))


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
    """The users (a filter on the user model) whose votes count: active accounts at least VOTE_MIN_ACCOUNT_DAYS old
    with a verified email address (allauth's, confirmed by its link) or a linked hub account. The one place that
    says so: the votes' count and the vote pages ask it."""
    joined_before = timezone.now() - timedelta(days=settings.VOTE_MIN_ACCOUNT_DAYS)
    verified = Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True))
    hub = Exists(SocialAccount.objects.filter(user=OuterRef("pk"), provider=HUB_PROVIDER))
    return Q(is_active=True, date_joined__lte=joined_before) & (Q(verified) | Q(hub))


def vote_counts(user) -> bool:
    """Whether ``user``'s votes count now (``counted_voters``)."""
    if user is None or not user.is_authenticated:
        return False
    return get_user_model().objects.filter(counted_voters(), pk=user.pk).exists()


def organisation_member(user, org: str) -> bool:
    """Whether the hub vouched that ``user`` belongs to ``org`` (the orgs claim of their last hub log-in, within
    HUB_ORGS_MAX_AGE_DAYS, while their hub account is linked); hub names ignore case."""
    if user is None or not user.is_authenticated:
        return False
    return org.lower() in {name.lower() for name in hub_organisations(user)}


def submission_standing(user, org: str, *, org_trusted: bool) -> tuple[bool, bool]:
    """(by the organisation, exempt from quotas) for a submission of one of ``org``'s models by ``user``.

    A verified member submits for the organisation: it counts against the organisation's quota, and a trusted
    organisation's exemption covers it. Anyone else's is a community submission: it counts against their own
    quota only, whatever the organisation's trust, so strangers never use up an organisation's quota. Moderators
    and operators' commands (no user) are exempt."""
    by_org = organisation_member(user, org)
    exempt = user is None or can_moderate(user) or (org_trusted and by_org)
    return by_org, exempt
