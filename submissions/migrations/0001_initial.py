"""The app's tables as they are (the migrations were rewritten as one per app: operations/history.py takes a
database made by the old ones over)."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalogue", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ModelSubmission",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("model_id", models.CharField(db_index=True, max_length=200)),
                (
                    "revision",
                    models.CharField(default="main", help_text="As the submitter asked for it.", max_length=200),
                ),
                (
                    "commit_sha",
                    models.CharField(help_text="The commit the revision resolved to; runs use this.", max_length=40),
                ),
                (
                    "precision",
                    models.CharField(
                        choices=[
                            ("float16", "float16"),
                            ("bfloat16", "bfloat16"),
                            ("float32", "float32"),
                            ("8bit", "8bit"),
                            ("4bit", "4bit"),
                            ("GPTQ", "GPTQ"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "weight_type",
                    models.CharField(
                        choices=[("Original", "Original"), ("Delta", "Delta"), ("Adapter", "Adapter")],
                        default="Original",
                        max_length=16,
                    ),
                ),
                ("base_model", models.CharField(blank=True, max_length=200)),
                (
                    "model_type",
                    models.CharField(
                        choices=[
                            ("pretrained", "🟢 pretrained"),
                            ("continuously pretrained", "🟩 continuously pretrained"),
                            ("fine-tuned", "🔶 fine-tuned"),
                            ("chat / instruction-tuned", "💬 chat / instruction-tuned"),
                            ("merge", "🤝 merge"),
                            ("multimodal", "🌸 multimodal"),
                        ],
                        default="pretrained",
                        max_length=32,
                    ),
                ),
                ("use_chat_template", models.BooleanField(default=False)),
                (
                    "think_end_token",
                    models.CharField(
                        blank=True,
                        help_text="A reasoning model's end-of-thinking marker (e.g. </think>): the thinking before it is kept apart, never searched for an answer",
                        max_length=32,
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("CHECKING", "checking"),
                            ("PENDING_REVIEW", "pending review"),
                            ("QUEUED", "queued"),
                            ("RUNNING", "running"),
                            ("FINISHED", "finished"),
                            ("FAILED", "failed"),
                            ("REJECTED", "rejected"),
                            ("CANCELLED", "cancelled"),
                        ],
                        db_index=True,
                        default="CHECKING",
                        max_length=16,
                    ),
                ),
                ("failure_reason", models.TextField(blank=True)),
                (
                    "needs_review",
                    models.BooleanField(
                        default=True,
                        help_text="When the hub checks pass: wait for a moderator (true) or queue at once (false).",
                    ),
                ),
                (
                    "priority",
                    models.IntegerField(
                        default=0,
                        help_text="Higher runs first; then more votes first; then the oldest submission first.",
                    ),
                ),
                (
                    "votes",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="The votes that count for its model revision (submissions.votes keeps it while it waits); the queue's order after the priority.",
                    ),
                ),
                (
                    "facts",
                    models.JSONField(blank=True, default=dict, help_text="What the hub checks found (ModelFacts)."),
                ),
                (
                    "quota_exempt",
                    models.BooleanField(
                        default=False,
                        help_text="Submitted by staff, or by a member of a trusted organisation: not counted in any quota.",
                    ),
                ),
                (
                    "by_organisation",
                    models.BooleanField(
                        default=False,
                        help_text="Submitted by a member of the model's organisation, as the hub vouched at their log-in: counted against the organisation's quota. Otherwise a community submission, counted against the submitter's own.",
                    ),
                ),
                (
                    "imported",
                    models.BooleanField(
                        default=False,
                        help_text="Brought in from another leaderboard's requests and results (import_leaderboard): its runs there logged no samples.",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, db_index=True)),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "suite",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT, related_name="submissions", to="catalogue.suite"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        blank=True,
                        help_text="Empty for evaluations an operator started from the command line.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="submissions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="Organisation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(help_text="As on the hub, e.g. meta-llama.", max_length=96)),
                ("trusted", models.BooleanField(default=False, help_text="Its models are exempt from every quota.")),
                (
                    "max_submissions",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="Submissions of its models per quota window; empty: the site default.",
                        null=True,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["name"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("name"), name="one_organisation_per_name"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SubmissionEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("CHECKING", "checking"),
                            ("PENDING_REVIEW", "pending review"),
                            ("QUEUED", "queued"),
                            ("RUNNING", "running"),
                            ("FINISHED", "finished"),
                            ("FAILED", "failed"),
                            ("REJECTED", "rejected"),
                            ("CANCELLED", "cancelled"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("CHECKING", "checking"),
                            ("PENDING_REVIEW", "pending review"),
                            ("QUEUED", "queued"),
                            ("RUNNING", "running"),
                            ("FINISHED", "finished"),
                            ("FAILED", "failed"),
                            ("REJECTED", "rejected"),
                            ("CANCELLED", "cancelled"),
                        ],
                        max_length=16,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL
                    ),
                ),
                (
                    "submission",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="events",
                        to="submissions.modelsubmission",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="UserQuota",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("max_submissions", models.PositiveIntegerField(help_text="Submissions per quota window.")),
                ("note", models.TextField(blank=True)),
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="quota", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
        ),
        migrations.CreateModel(
            name="Vote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("model_id", models.CharField(max_length=200)),
                ("commit_sha", models.CharField(max_length=40)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="votes", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="BlockedModel",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "model_id",
                    models.CharField(help_text="organisation/name, matched without regard to case.", max_length=200),
                ),
                ("reason", models.TextField(help_text="Shown to whoever submits it.")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["model_id"],
                "constraints": [
                    models.UniqueConstraint(
                        django.db.models.functions.text.Lower("model_id"), name="one_block_per_model"
                    )
                ],
            },
        ),
        migrations.AddConstraint(
            model_name="modelsubmission",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ("CHECKING", "PENDING_REVIEW", "QUEUED", "RUNNING", "FINISHED"))),
                fields=("model_id", "commit_sha", "precision", "weight_type", "suite"),
                name="one_active_submission_per_model_config",
            ),
        ),
        migrations.AddConstraint(
            model_name="vote",
            constraint=models.UniqueConstraint(
                fields=("model_id", "commit_sha", "user"), name="one_vote_per_user_and_revision"
            ),
        ),
    ]
