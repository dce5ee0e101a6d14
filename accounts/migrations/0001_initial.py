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
            name="HubIdentity",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "uid",
                    models.CharField(
                        help_text="The hub's id for the user (the sub claim)", max_length=255, unique=True
                    ),
                ),
                ("username", models.CharField(help_text="The hub user name (preferred_username)", max_length=96)),
                (
                    "orgs",
                    models.JSONField(
                        blank=True, default=list, help_text="Organisation names (their preferred_username)"
                    ),
                ),
                (
                    "read_at",
                    models.DateTimeField(
                        help_text="When the hub said so: organisations older than HUB_ORGS_MAX_AGE_DAYS no longer count"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "hub identities",
            },
        ),
        migrations.CreateModel(
            name="ApiToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100)),
                ("digest", models.CharField(max_length=64, unique=True)),
                (
                    "prefix",
                    models.CharField(help_text="The token's first characters, to tell tokens apart", max_length=12),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("last_used_at", models.DateTimeField(blank=True, null=True)),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("read", "read: only GET"),
                            ("submit", "submit: also submit, cancel, flag and comment"),
                            (
                                "moderate",
                                "moderate: also approve, reject, requeue and cancel others' submissions (staff)",
                            ),
                        ],
                        max_length=10,
                    ),
                ),
                (
                    "expires_at",
                    models.DateTimeField(blank=True, help_text="Refused from then on; empty: never expires", null=True),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="api_tokens",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
    ]
