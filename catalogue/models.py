"""What every other app refers to: the benchmark suites, their tasks and how each task is scored."""

from django.db import models


class Suite(models.Model):
    """A benchmark suite: a named list of lm-eval tasks, loaded from catalogue/suites/*.yaml."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    task_paths = models.JSONField(default=list, blank=True, help_text="Extra lm-eval task directories.")
    system_instruction = models.TextField(
        blank=True, help_text="The system message of runs through a chat template (lm-eval's system_instruction)"
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evaluation_suite"  # made by the evaluation app, where suites began
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


class Scoring(models.TextChoices):
    MULTIPLE_CHOICE = "multiple_choice", "multiple choice (log-likelihood of the options)"
    GENERATIVE = "generative", "generative (greedy generation, the answer extracted, exact match)"


class SuiteTask(models.Model):
    suite = models.ForeignKey(Suite, on_delete=models.CASCADE, related_name="tasks")
    task = models.CharField(max_length=200, help_text="lm-eval task name")
    name = models.CharField(max_length=200, help_text="Column header")
    num_fewshot = models.PositiveSmallIntegerField(default=0)
    scoring = models.CharField(max_length=16, choices=Scoring.choices, default=Scoring.MULTIPLE_CHOICE)
    metric = models.CharField(max_length=64, default="acc")
    metric_filter = models.CharField(
        max_length=64, default="none", help_text="lm-eval filter of the metric: the one that ranks"
    )
    other_filters = models.JSONField(
        default=list, blank=True, help_text="The task's other lm-eval filters, recorded but not ranked"
    )
    choices = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Answer options")
    aliases = models.JSONField(
        default=list,
        blank=True,
        help_text="Other names the same task had (e.g. on a Gradio leaderboard), matched on import",
    )
    breakdown = models.CharField(
        max_length=100,
        blank=True,
        help_text="A field of the task's documents to break scores down by (e.g. subject_name)",
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "evaluation_suitetask"
        ordering = ["suite", "position"]
        constraints = [models.UniqueConstraint(fields=["suite", "task"], name="one_task_per_suite")]

    def __str__(self) -> str:
        return f"{self.suite.slug}/{self.task}"
