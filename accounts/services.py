import logging
import secrets
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from accounts.models import ApiToken, HubIdentity, token_digest
from accounts.policy import can_create_token

log = logging.getLogger(__name__)

TOKEN_PREFIX = "mlb_"
MODERATE_TOKEN_NEEDS_TWO_FACTOR = (
    "A moderate token needs two-factor in this session: log in again giving your authenticator's code, then come back."
)


@transaction.atomic
def token_create(*, user: User, name: str, scope: str, expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the raw token, which is never stored nor shown again.

    ``user`` comes from the request: a ``moderate`` token needs its session to have passed two-factor."""
    if not can_create_token(user, scope):
        raise PermissionDenied(MODERATE_TOKEN_NEEDS_TWO_FACTOR)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100] or "token",
        digest=token_digest(raw),
        prefix=raw[:12],
        scope=scope,
        expires_at=expires_at,
    )
    return token, raw


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


@transaction.atomic
def user_tokens_revoke(*, user: User) -> int:
    """Every API token of ``user``, when their password is changed, set or reset (accounts.adapters; Django's session
    auth hash already signs the user's other sessions out); returns how many there were."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


def _mail(subject: str, body: str, to: str) -> None:
    try:
        send_mail(subject, body, None, [to])
    except OSError:  # the mail server is down: the address stays unconfirmed, sign-up again or ask an admin
        log.exception("could not email %s", to)


def mail_deliver(subject: str, body: str, to: str) -> None:
    """The django-q2 task that sends one queued mail."""
    _mail(subject, body, to)


def mail_queue(*, subject: str, body: str, to: str) -> None:
    """Send a mail from the checks cluster (beside the site) once the request's transaction commits."""
    transaction.on_commit(
        lambda: async_task("accounts.services.mail_deliver", subject, body, to, cluster=settings.CHECKS_CLUSTER)
    )


MAX_HUB_ORGS = 200


def _org_names(claim: object) -> list[str]:
    """The organisation names of a userinfo's ``orgs`` claim (a list of objects with ``preferred_username``);
    anything else in it is ignored."""
    if not isinstance(claim, list):
        return []
    names = (org.get("preferred_username") for org in claim[:MAX_HUB_ORGS] if isinstance(org, dict))
    return sorted({name for name in names if isinstance(name, str) and 0 < len(name) <= 96})


@transaction.atomic
def hub_identity_record(*, uid: str, userinfo: dict[str, Any]) -> HubIdentity:
    """Store what the hub's userinfo says at a hub log-in: the user name and the organisations, read now.
    An organisation missing from it (left, or no longer granted to this site) is no longer counted."""
    identity, _ = HubIdentity.objects.update_or_create(
        uid=uid,
        defaults={
            "username": str(userinfo.get("preferred_username") or "")[:96],
            "orgs": _org_names(userinfo.get("orgs")),
            "read_at": timezone.now(),
        },
    )
    return identity
