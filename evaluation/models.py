from django.db import models


class RunStatus(models.TextChoices):
    QUEUED = "QUEUED", "queued"
    RUNNING = "RUNNING", "running"
    FINISHED = "FINISHED", "finished"
    FAILED = "FAILED", "failed"
    CANCELLED = "CANCELLED", "cancelled"


class FailureKind(models.TextChoices):
    MODEL_LOAD = "model_load", "the model did not load"
    OUT_OF_MEMORY = "oom", "out of GPU memory"
    DATASET = "dataset", "dataset unavailable"
    HARNESS = "harness", "harness error"
    TIMEOUT = "timeout", "timeout"
    WORKER_LOST = "worker_lost", "worker lost"
    REFUSED = "refused", "refused"


class EvalRun(models.Model):
    """One attempt at evaluating a submission; the source of truth for it (django-q is transport).

    A run whose worker was lost ends FAILED (worker lost) and, below the attempt limit, the
    reaper queues a new run with ``attempt + 1``: each attempt has its own row, results and samples.
    """

    submission = models.ForeignKey("submissions.ModelSubmission", on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    attempt = models.PositiveSmallIntegerField(default=1, help_text="1 + the attempts before it lost to dead workers")
    cluster = models.CharField(max_length=100, blank=True, help_text="The django-q2 cluster (GPU host) it is routed to")
    memory_gib = models.FloatField(
        null=True, blank=True, help_text="Estimated GPU memory it needs; empty when the parameter count is unknown"
    )
    worker = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker that claimed it")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_stage = models.CharField(max_length=100, blank=True, help_text="What the harness is doing now")
    progress_done = models.PositiveIntegerField(default=0, help_text="Model requests answered so far")
    progress_total = models.PositiveIntegerField(
        default=0, help_text="Model requests in the whole run; 0 = not known yet"
    )
    progress_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the first request went to the model (the rate, and so the ETA, counts from here)",
    )
    failure_kind = models.CharField(max_length=16, choices=FailureKind.choices, blank=True)
    failure_reason = models.TextField(blank=True)
    log_tail = models.TextField(blank=True)
    record = models.JSONField(default=dict, blank=True, help_text="What reproduces the run: versions, config, command")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "cluster"], name="run_status_cluster")]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.submission}"


class RunEvent(models.Model):
    """One move of a run's status (transitions.run_transition writes them): the run's history."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=RunStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=RunStatus.choices)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class ResultsFile(models.Model):
    """The results file of a finished run as lm-eval wrote it: what a download gives back, with its samples."""

    run = models.OneToOneField(EvalRun, on_delete=models.CASCADE, primary_key=True, related_name="results_file")
    date_id = models.CharField(max_length=64, help_text="The <date> of results_<date>.json")
    data = models.JSONField()

    def __str__(self) -> str:
        return f"results_{self.date_id}.json of run {self.run_id}"


class TaskResult(models.Model):
    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="results")
    task = models.CharField(max_length=200)
    metric = models.CharField(max_length=64)
    metric_filter = models.CharField(max_length=64, default="none")
    value = models.FloatField()
    stderr = models.FloatField(null=True, blank=True)
    num_fewshot = models.PositiveSmallIntegerField(default=0)
    n_samples = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "task", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["run", "task", "metric", "metric_filter"], name="one_value_per_run_metric")
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.metric},{self.metric_filter}={self.value:.4f}"


class SubjectResult(models.Model):
    """A run's score on one subject of a task (its documents' ``SuiteTask.breakdown`` field), counted from its
    samples when they are stored: the questions of that subject and the sum of their metric (correct ones)."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="subject_results")
    task = models.CharField(max_length=200)
    subject = models.CharField(max_length=200)
    n = models.PositiveIntegerField()
    correct = models.FloatField(help_text="The sum of the task's metric over the subject's questions")

    class Meta:
        ordering = ["run", "task", "subject"]
        constraints = [models.UniqueConstraint(fields=["run", "task", "subject"], name="one_result_per_run_subject")]

    def __str__(self) -> str:
        return f"{self.task}/{self.subject}: {self.correct:g}/{self.n}"


class SampleLog(models.Model):
    """One logged sample of a run: the document, the prompts exactly as the model saw them, its answers."""

    run = models.ForeignKey(EvalRun, on_delete=models.CASCADE, related_name="samples")
    task = models.CharField(max_length=200)
    filter = models.CharField(max_length=64, default="none", help_text="lm-eval filter the responses went through")
    doc_id = models.IntegerField()
    doc = models.JSONField()
    arguments = models.JSONField(help_text="The requests sent to the model: prompt and continuation per choice")
    target = models.TextField()
    resps = models.JSONField()
    filtered_resps = models.JSONField()
    metrics = models.JSONField(help_text="Per-sample metric values, e.g. {'acc': 1.0}")
    doc_hash = models.CharField(max_length=64)
    prompt_hash = models.CharField(max_length=64)
    # Generative tasks only: the generation in resps is stored whole up to GENERATION_CAP bytes.
    truncated = models.BooleanField(default=False, help_text="The generation (or thinking) was cut at the cap")
    thinking = models.TextField(blank=True, help_text="A reasoning model's thinking, kept apart from the answer")
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    thinking_tokens = models.PositiveIntegerField(null=True, blank=True)
    answer_tokens = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["run", "task", "filter", "doc_id"]
        constraints = [
            # Covering doc_hash and metrics: comparing two runs question by question (comparisons.selectors) reads
            # this index only, not the samples' wide rows.
            models.UniqueConstraint(
                fields=["run", "task", "filter", "doc_id"],
                include=["doc_hash", "metrics"],
                name="one_sample_per_run_doc",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}#{self.doc_id}"
