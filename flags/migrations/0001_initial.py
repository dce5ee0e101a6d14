import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    # The app was `leaderboard` until it was split: a database made by its migrations (all nine applied) has
    # this app's tables already, under the same names (Meta.db_table), so this migration counts as applied there.
    replaces = [
        ("leaderboard", "0001_initial"),
        ("leaderboard", "0002_entry_metadata_flags"),
        ("leaderboard", "0003_score_arrays_ranks"),
        ("leaderboard", "0004_ranking_order_indexes"),
        ("leaderboard", "0005_ranking_version"),
        ("leaderboard", "0006_ranking_version_related_name"),
        ("leaderboard", "0007_intervals_bands_setting"),
        ("leaderboard", "0008_unflagged_count_index"),
        ("leaderboard", "0009_entry_format_gap_co2"),
    ]

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
