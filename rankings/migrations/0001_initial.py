"""The app's tables as they are (the migrations were rewritten as one per app: operations/history.py takes a
database made by the old ones over)."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("catalogue", "0001_initial"),
        ("evaluation", "0001_initial"),
        ("flags", "0001_initial"),
        ("submissions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="RankingVersion",
            fields=[
                (
                    "suite",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="ranking_version",
                        serialize=False,
                        to="catalogue.suite",
                    ),
                ),
                ("version", models.PositiveBigIntegerField(default=0)),
                ("changed_at", models.DateTimeField()),
            ],
            options={
                "db_table": "leaderboard_rankingversion",
            },
        ),
        migrations.CreateModel(
            name="LeaderboardEntry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "is_reference",
                    models.BooleanField(
                        default=False, help_text="A baseline or a closed model's published scores: shown, never ranked."
                    ),
                ),
                (
                    "reference_source",
                    models.CharField(
                        blank=True,
                        help_text="Where the reference scores come from (a paper, a model card).",
                        max_length=500,
                    ),
                ),
                (
                    "model_id",
                    models.CharField(help_text="ORG/NAME on the hub; a free name for reference rows.", max_length=200),
                ),
                ("commit_sha", models.CharField(blank=True, max_length=40)),
                ("precision", models.CharField(blank=True, max_length=16)),
                ("weight_type", models.CharField(blank=True, max_length=16)),
                ("model_type", models.CharField(blank=True, max_length=32)),
                ("architecture", models.CharField(blank=True, max_length=200)),
                ("params_billions", models.FloatField(blank=True, help_text="Parameters, in billions.", null=True)),
                ("license", models.CharField(blank=True, max_length=100)),
                ("likes", models.IntegerField(default=0)),
                (
                    "on_hub",
                    models.BooleanField(default=True, help_text="Public on the hub: neither deleted nor private."),
                ),
                ("is_merged", models.BooleanField(default=False)),
                ("is_moe", models.BooleanField(default=False)),
                ("scores", models.JSONField(help_text="{lm-eval task: score in [0, 1]}")),
                (
                    "raw",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(null=True),
                        default=list,
                        help_text="The scores in the suite's task order (empty: none)",
                        size=None,
                    ),
                ),
                (
                    "norm",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(null=True),
                        default=list,
                        help_text="The scores normalised to the random baseline, in [0, 1], in the suite's task order",
                        size=None,
                    ),
                ),
                (
                    "average",
                    models.FloatField(
                        blank=True, help_text="Mean over all the suite's tasks; empty if any is.", null=True
                    ),
                ),
                ("average_norm", models.FloatField(blank=True, null=True)),
                (
                    "rank",
                    models.PositiveIntegerField(
                        blank=True,
                        help_text="By average among the suite's unflagged submissions; empty: not ranked.",
                        null=True,
                    ),
                ),
                (
                    "rank_norm",
                    models.PositiveIntegerField(blank=True, help_text="The same by normalised average.", null=True),
                ),
                (
                    "ci_low",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(null=True), blank=True, default=list, size=None
                    ),
                ),
                (
                    "ci_high",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(null=True), blank=True, default=list, size=None
                    ),
                ),
                (
                    "se",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.FloatField(null=True),
                        blank=True,
                        default=list,
                        help_text="Standard error of each task score",
                        size=None,
                    ),
                ),
                ("average_ci_low", models.FloatField(blank=True, null=True)),
                ("average_ci_high", models.FloatField(blank=True, null=True)),
                (
                    "rank_best",
                    models.PositiveIntegerField(blank=True, help_text="The best rank the intervals allow", null=True),
                ),
                (
                    "rank_worst",
                    models.PositiveIntegerField(blank=True, help_text="The worst rank the intervals allow", null=True),
                ),
                (
                    "num_fewshot",
                    models.PositiveSmallIntegerField(
                        blank=True,
                        help_text="Examples in the prompt, where not each task's own of the suite.",
                        null=True,
                    ),
                ),
                (
                    "scoring",
                    models.CharField(
                        blank=True,
                        help_text="How answers were scored, where not as the suite scores them.",
                        max_length=200,
                    ),
                ),
                ("comparable", models.BooleanField(default=True, help_text="Obtained in the suite's setting.")),
                (
                    "subjects",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text='Per subject of the suite\'s breakdowns: {subject: {"n", "score", "ci"}}',
                    ),
                ),
                (
                    "format_gap",
                    models.FloatField(blank=True, help_text="Generative minus log-likelihood accuracy", null=True),
                ),
                ("format_gap_low", models.FloatField(blank=True, null=True)),
                ("format_gap_high", models.FloatField(blank=True, null=True)),
                ("co2_g", models.FloatField(blank=True, help_text="The run's estimated emissions, g CO2eq", null=True)),
                ("submitted_at", models.DateTimeField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "flag",
                    models.ForeignKey(
                        blank=True,
                        help_text="The upheld community flag shown beside the model, if any.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="flags.flag",
                    ),
                ),
                (
                    "run",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="evaluation.evalrun",
                    ),
                ),
                (
                    "submission",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="leaderboard_entry",
                        to="submissions.modelsubmission",
                    ),
                ),
                (
                    "suite",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="entries", to="catalogue.suite"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "leaderboard entries",
                "db_table": "leaderboard_leaderboardentry",
                "ordering": ["-average"],
                "indexes": [
                    models.Index(fields=["suite", "-average"], name="entry_suite_average"),
                    models.Index(
                        models.F("suite"),
                        models.OrderBy(models.F("average"), descending=True, nulls_last=True),
                        name="entry_suite_average_nulls_last",
                    ),
                    models.Index(
                        models.F("suite"),
                        models.OrderBy(models.F("average_norm"), descending=True, nulls_last=True),
                        name="entry_suite_norm_nulls_last",
                    ),
                    models.Index(fields=["suite", "submitted_at"], name="entry_suite_submitted"),
                    models.Index(fields=["model_id"], name="entry_model_id"),
                    models.Index(fields=["suite", "license"], name="entry_suite_license"),
                    models.Index(fields=["suite", "rank_best", "rank_worst"], name="entry_suite_band"),
                    models.Index(
                        condition=models.Q(("flag__isnull", True)), fields=["suite"], name="entry_suite_unflagged"
                    ),
                ],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(
                            models.Q(("is_reference", True), ("run__isnull", True), ("submission__isnull", True)),
                            models.Q(("is_reference", False), ("run__isnull", False), ("submission__isnull", False)),
                            _connector="OR",
                        ),
                        name="entry_reference_xor_submission",
                    )
                ],
            },
        ),
    ]
