"""Community flags on ranked models: a user reports, others comment, moderators uphold or dismiss."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class FlagReason(models.TextChoices):
    CONTAMINATION = "contamination", "trained on test data / contamination"
    MERGE = "merge", "undisclosed merge"
    METADATA = "metadata", "wrong metadata"
    LICENSE = "license", "license"
    OTHER = "other", "other"


class FlagStatus(models.TextChoices):
    OPEN = "open", "open"
    UPHELD = "upheld", "upheld"
    DISMISSED = "dismissed", "dismissed"


class Flag(models.Model):
    """A community report that a ranked model should not be trusted; staff uphold or dismiss it."""

    model_id = models.CharField(max_length=200, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    reason = models.CharField(max_length=16, choices=FlagReason.choices)
    explanation = models.TextField()
    evidence = models.JSONField(default=list, blank=True, help_text="Links (http or https) that back the flag.")
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN, db_index=True)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    moderation_note = models.TextField(blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "leaderboard_flag"  # the table it was created as (the app was `leaderboard`)
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "model_id"], condition=Q(status="open"), name="one_open_flag_per_user_model"
            )
        ]

    def __str__(self):
        return f"flag #{self.pk} on {self.model_id} ({self.get_reason_display()}, {self.status})"


class FlagComment(models.Model):
    flag = models.ForeignKey(Flag, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "leaderboard_flagcomment"
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"comment by {self.user} on flag #{self.flag_id}"
