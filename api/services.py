import secrets

from django.db import transaction

from api.models import ApiToken, token_digest

TOKEN_PREFIX = "mlb_"


@transaction.atomic
def token_create(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns it with the raw token, which is never stored nor shown again."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "token", digest=token_digest(raw), prefix=raw[:12]
    )
    return token, raw


@transaction.atomic
def token_revoke(*, user, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0
