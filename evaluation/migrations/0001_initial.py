"""The app's tables as they are (the migrations were rewritten as one per app: operations/history.py takes a
database made by the old ones over)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("submissions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="EvalRun",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("QUEUED", "queued"),
                            ("RUNNING", "running"),
                            ("FINISHED", "finished"),
                            ("FAILED", "failed"),
                            ("CANCELLED", "cancelled"),
                        ],
                        db_index=True,
                        default="QUEUED",
                        max_length=16,
                    ),
                ),
                (
                    "attempt",
                    models.PositiveSmallIntegerField(
                        default=1, help_text="1 + the attempts before it lost to dead workers"
                    ),
                ),
                (
                    "cluster",
                    models.CharField(
                        blank=True, help_text="The django-q2 cluster (GPU host) it is routed to", max_length=100
                    ),
                ),
                (
                    "memory_gib",
                    models.FloatField(
                        blank=True,
                        help_text="Estimated GPU memory it needs; empty when the parameter count is unknown",
                        null=True,
                    ),
                ),
                (
                    "worker",
                    models.CharField(blank=True, help_text="host:pid of the worker that claimed it", max_length=200),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "progress_stage",
                    models.CharField(blank=True, help_text="What the harness is doing now", max_length=100),
                ),
                ("progress_done", models.PositiveIntegerField(default=0, help_text="Model requests answered so far")),
                (
                    "progress_total",
                    models.PositiveIntegerField(
                        default=0, help_text="Model requests in the whole run; 0 = not known yet"
                    ),
                ),
                (
                    "progress_started_at",
                    models.DateTimeField(
                        blank=True,
                        help_text="When the first request went to the model (the rate, and so the ETA, counts from here)",
                        null=True,
                    ),
                ),
                (
                    "failure_kind",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("model_load", "the model did not load"),
                            ("oom", "out of GPU memory"),
                            ("dataset", "dataset unavailable"),
                            ("harness", "harness error"),
                            ("timeout", "timeout"),
                            ("worker_lost", "worker lost"),
                            ("refused", "refused"),
                        ],
                        max_length=16,
                    ),
                ),
                ("failure_reason", models.TextField(blank=True)),
                ("log_tail", models.TextField(blank=True)),
                (
                    "record",
                    models.JSONField(
                        blank=True, default=dict, help_text="What reproduces the run: versions, config, command"
                    ),
                ),
                (
                    "submission",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="submissions.modelsubmission",
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at"],
            },
        ),
        migrations.CreateModel(
            name="ResultsFile",
            fields=[
                (
                    "run",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="results_file",
                        serialize=False,
                        to="evaluation.evalrun",
                    ),
                ),
                ("date_id", models.CharField(help_text="The <date> of results_<date>.json", max_length=64)),
                ("data", models.JSONField()),
            ],
        ),
        migrations.CreateModel(
            name="RunEvent",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "from_status",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("QUEUED", "queued"),
                            ("RUNNING", "running"),
                            ("FINISHED", "finished"),
                            ("FAILED", "failed"),
                            ("CANCELLED", "cancelled"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "to_status",
                    models.CharField(
                        choices=[
                            ("QUEUED", "queued"),
                            ("RUNNING", "running"),
                            ("FINISHED", "finished"),
                            ("FAILED", "failed"),
                            ("CANCELLED", "cancelled"),
                        ],
                        max_length=16,
                    ),
                ),
                ("note", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="events", to="evaluation.evalrun"
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
            },
        ),
        migrations.CreateModel(
            name="SampleLog",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task", models.CharField(max_length=200)),
                (
                    "filter",
                    models.CharField(
                        default="none", help_text="lm-eval filter the responses went through", max_length=64
                    ),
                ),
                ("doc_id", models.IntegerField()),
                ("doc", models.JSONField()),
                (
                    "arguments",
                    models.JSONField(help_text="The requests sent to the model: prompt and continuation per choice"),
                ),
                ("target", models.TextField()),
                ("resps", models.JSONField()),
                ("filtered_resps", models.JSONField()),
                ("metrics", models.JSONField(help_text="Per-sample metric values, e.g. {'acc': 1.0}")),
                ("doc_hash", models.CharField(max_length=64)),
                ("prompt_hash", models.CharField(max_length=64)),
                (
                    "truncated",
                    models.BooleanField(default=False, help_text="The generation (or thinking) was cut at the cap"),
                ),
                (
                    "thinking",
                    models.TextField(blank=True, help_text="A reasoning model's thinking, kept apart from the answer"),
                ),
                ("prompt_tokens", models.PositiveIntegerField(blank=True, null=True)),
                ("thinking_tokens", models.PositiveIntegerField(blank=True, null=True)),
                ("answer_tokens", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="samples", to="evaluation.evalrun"
                    ),
                ),
            ],
            options={
                "ordering": ["run", "task", "filter", "doc_id"],
            },
        ),
        migrations.CreateModel(
            name="SubjectResult",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task", models.CharField(max_length=200)),
                ("subject", models.CharField(max_length=200)),
                ("n", models.PositiveIntegerField()),
                ("correct", models.FloatField(help_text="The sum of the task's metric over the subject's questions")),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="subject_results",
                        to="evaluation.evalrun",
                    ),
                ),
            ],
            options={
                "ordering": ["run", "task", "subject"],
            },
        ),
        migrations.CreateModel(
            name="TaskResult",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("task", models.CharField(max_length=200)),
                ("metric", models.CharField(max_length=64)),
                ("metric_filter", models.CharField(default="none", max_length=64)),
                ("value", models.FloatField()),
                ("stderr", models.FloatField(blank=True, null=True)),
                ("num_fewshot", models.PositiveSmallIntegerField(default=0)),
                ("n_samples", models.PositiveIntegerField(blank=True, null=True)),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="results", to="evaluation.evalrun"
                    ),
                ),
            ],
            options={
                "ordering": ["run", "task", "metric"],
            },
        ),
        migrations.AddIndex(
            model_name="evalrun",
            index=models.Index(fields=["status", "cluster"], name="run_status_cluster"),
        ),
        migrations.AddConstraint(
            model_name="samplelog",
            constraint=models.UniqueConstraint(
                fields=("run", "task", "filter", "doc_id"),
                include=("doc_hash", "metrics"),
                name="one_sample_per_run_doc",
            ),
        ),
        migrations.AddConstraint(
            model_name="subjectresult",
            constraint=models.UniqueConstraint(fields=("run", "task", "subject"), name="one_result_per_run_subject"),
        ),
        migrations.AddConstraint(
            model_name="taskresult",
            constraint=models.UniqueConstraint(
                fields=("run", "task", "metric", "metric_filter"), name="one_value_per_run_metric"
            ),
        ),
    ]
