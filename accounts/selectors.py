"""Reads about accounts: the hub identity linked to a user and the organisations the hub vouches for."""

from datetime import timedelta

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from accounts.hub_oauth import HUB_PROVIDER
from accounts.models import HubIdentity


def hub_account(user: User | AnonymousUser | None) -> SocialAccount | None:
    """The hub account linked to ``user``, if any."""
    if user is None or not user.is_authenticated:
        return None
    return SocialAccount.objects.filter(user=user, provider=HUB_PROVIDER).first()


def hub_identity(user: User | AnonymousUser | None) -> HubIdentity | None:
    """What the hub said about ``user`` at their last hub log-in, while their hub account is linked."""
    account = hub_account(user)
    return HubIdentity.objects.filter(uid=account.uid).first() if account else None


def hub_organisations(user: User | AnonymousUser | None) -> list[str]:
    """The organisations the hub vouched at ``user``'s last hub log-in that they belong to, as long as that was
    less than HUB_ORGS_MAX_AGE_DAYS ago; none otherwise (log in with the hub again to renew them)."""
    identity = hub_identity(user)
    fresh_since = timezone.now() - timedelta(days=settings.HUB_ORGS_MAX_AGE_DAYS)
    if identity is None or identity.read_at < fresh_since:
        return []
    return list(identity.orgs)
