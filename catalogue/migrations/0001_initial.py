"""The app's tables as they are (the migrations were rewritten as one per app: operations/history.py takes a
database made by the old ones over)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Suite",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("slug", models.SlugField(unique=True)),
                ("name", models.CharField(max_length=200)),
                ("description", models.TextField(blank=True)),
                ("task_paths", models.JSONField(blank=True, default=list, help_text="Extra lm-eval task directories.")),
                (
                    "system_instruction",
                    models.TextField(
                        blank=True,
                        help_text="The system message of runs through a chat template (lm-eval's system_instruction)",
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0)),
            ],
            options={
                "db_table": "evaluation_suite",
                "ordering": ["position", "slug"],
            },
        ),
        migrations.CreateModel(
            name="SuiteTask",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task", models.CharField(help_text="lm-eval task name", max_length=200)),
                ("name", models.CharField(help_text="Column header", max_length=200)),
                ("num_fewshot", models.PositiveSmallIntegerField(default=0)),
                (
                    "scoring",
                    models.CharField(
                        choices=[
                            ("multiple_choice", "multiple choice (log-likelihood of the options)"),
                            ("generative", "generative (greedy generation, the answer extracted, exact match)"),
                        ],
                        default="multiple_choice",
                        max_length=16,
                    ),
                ),
                ("metric", models.CharField(default="acc", max_length=64)),
                (
                    "metric_filter",
                    models.CharField(
                        default="none", help_text="lm-eval filter of the metric: the one that ranks", max_length=64
                    ),
                ),
                (
                    "other_filters",
                    models.JSONField(
                        blank=True, default=list, help_text="The task's other lm-eval filters, recorded but not ranked"
                    ),
                ),
                ("choices", models.PositiveSmallIntegerField(blank=True, help_text="Answer options", null=True)),
                (
                    "aliases",
                    models.JSONField(
                        blank=True,
                        default=list,
                        help_text="Other names the same task had (e.g. on a Gradio leaderboard), matched on import",
                    ),
                ),
                (
                    "breakdown",
                    models.CharField(
                        blank=True,
                        help_text="A field of the task's documents to break scores down by (e.g. subject_name)",
                        max_length=100,
                    ),
                ),
                ("position", models.PositiveIntegerField(default=0)),
                (
                    "suite",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="tasks", to="catalogue.suite"
                    ),
                ),
            ],
            options={
                "db_table": "evaluation_suitetask",
                "ordering": ["suite", "position"],
                "constraints": [models.UniqueConstraint(fields=("suite", "task"), name="one_task_per_suite")],
            },
        ),
    ]
