from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from catalogue.precision import Precision, WeightType


class ModelType(models.TextChoices):
    PRETRAINED = "pretrained", "🟢 pretrained"
    CONTINUOUS = "continuously pretrained", "🟩 continuously pretrained"
    FINE_TUNED = "fine-tuned", "🔶 fine-tuned"
    CHAT = "chat / instruction-tuned", "💬 chat / instruction-tuned"
    MERGE = "merge", "🤝 merge"
    MULTIMODAL = "multimodal", "🌸 multimodal"


class Status(models.TextChoices):
    CHECKING = "CHECKING", "checking"
    PENDING_REVIEW = "PENDING_REVIEW", "pending review"
    QUEUED = "QUEUED", "queued"
    RUNNING = "RUNNING", "running"
    FINISHED = "FINISHED", "finished"
    FAILED = "FAILED", "failed"
    REJECTED = "REJECTED", "rejected"
    CANCELLED = "CANCELLED", "cancelled"


# A submission in one of these states blocks an identical one.
ACTIVE_STATUSES = (Status.CHECKING, Status.PENDING_REVIEW, Status.QUEUED, Status.RUNNING, Status.FINISHED)
# A submission in one of these states waits, and takes votes (submissions.votes).
VOTABLE_STATUSES = (Status.PENDING_REVIEW, Status.QUEUED)


class ModelSubmission(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        help_text="Empty for evaluations an operator started from the command line.",
    )
    model_id = models.CharField(max_length=200, db_index=True)
    revision = models.CharField(max_length=200, default="main", help_text="As the submitter asked for it.")
    commit_sha = models.CharField(max_length=40, help_text="The commit the revision resolved to; runs use this.")
    precision = models.CharField(max_length=16, choices=Precision.choices)
    weight_type = models.CharField(max_length=16, choices=WeightType.choices, default=WeightType.ORIGINAL)
    base_model = models.CharField(max_length=200, blank=True)
    model_type = models.CharField(max_length=32, choices=ModelType.choices, default=ModelType.PRETRAINED)
    use_chat_template = models.BooleanField(default=False)
    think_end_token = models.CharField(
        max_length=32,
        blank=True,
        help_text="A reasoning model's end-of-thinking marker (e.g. </think>): the thinking before it is kept apart, "
        "never searched for an answer",
    )
    suite = models.ForeignKey("catalogue.Suite", on_delete=models.PROTECT, related_name="submissions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CHECKING, db_index=True)
    failure_reason = models.TextField(blank=True)
    needs_review = models.BooleanField(
        default=True, help_text="When the hub checks pass: wait for a moderator (true) or queue at once (false)."
    )
    priority = models.IntegerField(
        default=0, help_text="Higher runs first; then more votes first; then the oldest submission first."
    )
    votes = models.PositiveIntegerField(
        default=0,
        help_text="The votes that count for its model revision (submissions.votes keeps it while it waits); "
        "the queue's order after the priority.",
    )
    facts = models.JSONField(default=dict, blank=True, help_text="What the hub checks found (ModelFacts).")
    quota_exempt = models.BooleanField(
        default=False,
        help_text="Submitted by staff, or by a member of a trusted organisation: not counted in any quota.",
    )
    by_organisation = models.BooleanField(
        default=False,
        help_text="Submitted by a member of the model's organisation, as the hub vouched at their log-in: counted "
        "against the organisation's quota. Otherwise a community submission, counted against the submitter's own.",
    )
    imported = models.BooleanField(
        default=False,
        help_text="Brought in from another leaderboard's requests and results (import_leaderboard): its runs "
        "there logged no samples.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["model_id", "commit_sha", "precision", "weight_type", "suite"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_submission_per_model_config",
            )
        ]

    def __str__(self) -> str:
        return f"{self.model_id}@{self.commit_sha[:7]} ({self.precision}, {self.suite_id})"

    @property
    def submitted_as(self) -> str:
        """ "organisation" (by a verified member of the model's organisation) or "community"."""
        return "organisation" if self.by_organisation else "community"

    @property
    def model_org(self) -> str:
        return self.model_id.partition("/")[0]

    @property
    def model_name(self) -> str:
        return self.model_id.partition("/")[2]


class SubmissionEvent(models.Model):
    """One row of a submission's history: every status move, who made it and why."""

    submission = models.ForeignKey(ModelSubmission, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class Vote(models.Model):
    """A user's upvote of a model revision (a model at a commit): at most one each, whatever its submissions.

    Cast on a waiting submission, it counts for every submission of that revision (submissions.votes); whether it
    counts at all is accounts.policy's (the voter's account age and verified address).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="votes")
    model_id = models.CharField(max_length=200)
    commit_sha = models.CharField(max_length=40)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["model_id", "commit_sha", "user"], name="one_vote_per_user_and_revision")
        ]

    def __str__(self) -> str:
        return f"{self.user} for {self.model_id}@{self.commit_sha[:7]}"


class Organisation(models.Model):
    """A hub organisation (the part of a model id before the slash): its quota, or its trust.

    A row appears the first time one of its models is submitted; moderators edit it in the admin.
    """

    name = models.CharField(max_length=96, help_text="As on the hub, e.g. meta-llama.")
    trusted = models.BooleanField(default=False, help_text="Its models are exempt from every quota.")
    max_submissions = models.PositiveIntegerField(
        null=True, blank=True, help_text="Submissions of its models per quota window; empty: the site default."
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="one_organisation_per_name")]

    def __str__(self) -> str:
        return self.name


class UserQuota(models.Model):
    """A user's own quota, instead of the site default."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quota")
    max_submissions = models.PositiveIntegerField(help_text="Submissions per quota window.")
    note = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.max_submissions}"


class BlockedModel(models.Model):
    """A model that may not be submitted; the submitter is told the reason."""

    model_id = models.CharField(max_length=200, help_text="organisation/name, matched without regard to case.")
    reason = models.TextField(help_text="Shown to whoever submits it.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model_id"]
        constraints = [models.UniqueConstraint(Lower("model_id"), name="one_block_per_model")]

    def __str__(self) -> str:
        return self.model_id
