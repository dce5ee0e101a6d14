import hashlib

from django.conf import settings
from django.db import models


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Scope(models.TextChoices):
    """What a token may do, each scope including the ones before it; the user's own permissions still apply."""

    READ = "read", "read: only GET"
    SUBMIT = "submit", "submit: also submit, cancel, flag and comment"
    MODERATE = "moderate", "moderate: also approve, reject, requeue and cancel others' submissions (staff)"


SCOPE_ORDER: list[str] = [Scope.READ, Scope.SUBMIT, Scope.MODERATE]


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored: the token itself is shown once, when created."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="The token's first characters, to tell tokens apart")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    scope = models.CharField(max_length=10, choices=Scope.choices)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Refused from then on; empty: never expires")

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def allows(self, scope: str) -> bool:
        return SCOPE_ORDER.index(self.scope) >= SCOPE_ORDER.index(scope)


class HubIdentity(models.Model):
    """What the Hugging Face hub said about one of its users at their last log-in here (the userinfo): their hub
    user name and the organisations they granted this site, with when it was read. The site user it belongs to is
    the one its hub account is linked to (allauth's SocialAccount with the same uid): unlinking it ends the
    membership here too."""

    uid = models.CharField(max_length=255, unique=True, help_text="The hub's id for the user (the sub claim)")
    username = models.CharField(max_length=96, help_text="The hub user name (preferred_username)")
    orgs = models.JSONField(default=list, blank=True, help_text="Organisation names (their preferred_username)")
    read_at = models.DateTimeField(
        help_text="When the hub said so: organisations older than HUB_ORGS_MAX_AGE_DAYS no longer count"
    )

    class Meta:
        verbose_name_plural = "hub identities"

    def __str__(self) -> str:
        return self.username
