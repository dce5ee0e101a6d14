"""The app's tables as they are (the migrations were rewritten as one per app: operations/history.py takes a
database made by the old ones over)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Flag",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("model_id", models.CharField(db_index=True, max_length=200)),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("contamination", "trained on test data / contamination"),
                            ("merge", "undisclosed merge"),
                            ("metadata", "wrong metadata"),
                            ("license", "license"),
                            ("other", "other"),
                        ],
                        max_length=16,
                    ),
                ),
                ("explanation", models.TextField()),
                (
                    "evidence",
                    models.JSONField(blank=True, default=list, help_text="Links (http or https) that back the flag."),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("open", "open"), ("upheld", "upheld"), ("dismissed", "dismissed")],
                        db_index=True,
                        default="open",
                        max_length=16,
                    ),
                ),
                ("moderation_note", models.TextField(blank=True)),
                ("moderated_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "moderator",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="flags", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "db_table": "leaderboard_flag",
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="FlagComment",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("text", models.TextField()),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "flag",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="comments", to="flags.flag"
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "db_table": "leaderboard_flagcomment",
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="flag",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "open")), fields=("user", "model_id"), name="one_open_flag_per_user_model"
            ),
        ),
    ]
