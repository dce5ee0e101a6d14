from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q


class LeaderboardEntry(models.Model):
    """A row of a suite's ranking, denormalised so a ranking page is one indexed query.

    Either a ranked submission, written by rankings.services.entry_refresh when its run finishes
    and by entries_refresh_model when its hub facts or flags change; or a reference row (a random
    baseline, a closed model's published scores) that staff enter in the admin, never ranked.
    Never computed per request.
    """

    suite = models.ForeignKey("catalogue.Suite", on_delete=models.CASCADE, related_name="entries")
    submission = models.OneToOneField(
        "submissions.ModelSubmission",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="leaderboard_entry",
    )
    run = models.ForeignKey("evaluation.EvalRun", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    is_reference = models.BooleanField(
        default=False, help_text="A baseline or a closed model's published scores: shown, never ranked."
    )
    reference_source = models.CharField(
        max_length=500, blank=True, help_text="Where the reference scores come from (a paper, a model card)."
    )
    model_id = models.CharField(max_length=200, help_text="ORG/NAME on the hub; a free name for reference rows.")
    commit_sha = models.CharField(max_length=40, blank=True)
    precision = models.CharField(max_length=16, blank=True)
    weight_type = models.CharField(max_length=16, blank=True)
    model_type = models.CharField(max_length=32, blank=True)
    architecture = models.CharField(max_length=200, blank=True)
    params_billions = models.FloatField(null=True, blank=True, help_text="Parameters, in billions.")
    license = models.CharField(max_length=100, blank=True)
    likes = models.IntegerField(default=0)
    on_hub = models.BooleanField(default=True, help_text="Public on the hub: neither deleted nor private.")
    is_merged = models.BooleanField(default=False)
    is_moe = models.BooleanField(default=False)
    flag = models.ForeignKey(
        "flags.Flag",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The upheld community flag shown beside the model, if any.",
    )
    # The scores twice: by task name (the API, medians, plots) and as arrays in the suite's task order,
    # narrow columns that a ranking page sorts 10,000 rows by in a few milliseconds.
    scores = models.JSONField(help_text="{lm-eval task: score in [0, 1]}")
    raw = ArrayField(
        models.FloatField(null=True), default=list, help_text="The scores in the suite's task order (empty: none)"
    )
    norm = ArrayField(
        models.FloatField(null=True),
        default=list,
        help_text="The scores normalised to the random baseline, in [0, 1], in the suite's task order",
    )
    average = models.FloatField(null=True, blank=True, help_text="Mean over all the suite's tasks; empty if any is.")
    average_norm = models.FloatField(null=True, blank=True)
    rank = models.PositiveIntegerField(
        null=True, blank=True, help_text="By average among the suite's unflagged submissions; empty: not ranked."
    )
    rank_norm = models.PositiveIntegerField(null=True, blank=True, help_text="The same by normalised average.")
    # Uncertainty (rankings.statistics), written with the scores: each task's 95% interval and standard error of
    # the raw score in the suite's task order (empty where unknown), the average's interval, and the rank band on it
    # among the suite's ranked models (Chatbot Arena's rule).
    ci_low = ArrayField(models.FloatField(null=True), default=list, blank=True)
    ci_high = ArrayField(models.FloatField(null=True), default=list, blank=True)
    se = ArrayField(
        models.FloatField(null=True), default=list, blank=True, help_text="Standard error of each task score"
    )
    average_ci_low = models.FloatField(null=True, blank=True)
    average_ci_high = models.FloatField(null=True, blank=True)
    rank_best = models.PositiveIntegerField(null=True, blank=True, help_text="The best rank the intervals allow")
    rank_worst = models.PositiveIntegerField(null=True, blank=True, help_text="The worst rank the intervals allow")
    # The setting the scores were obtained in, where it is not the suite's: such a row is not comparable, and is
    # neither ranked nor counted in bands and medians.
    num_fewshot = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Examples in the prompt, where not each task's own of the suite."
    )
    scoring = models.CharField(
        max_length=200, blank=True, help_text="How answers were scored, where not as the suite scores them."
    )
    comparable = models.BooleanField(default=True, help_text="Obtained in the suite's setting.")
    subjects = models.JSONField(
        default=dict, blank=True, help_text='Per subject of the suite\'s breakdowns: {subject: {"n", "score", "ci"}}'
    )
    # Both scorings of the model (this commit and precision), where it is ranked in a multiple-choice suite and in
    # its generative counterpart: the mean over the datasets of generative minus log-likelihood accuracy, paired by
    # question, with its 95% interval (rankings.format_gap). The same on both entries.
    format_gap = models.FloatField(null=True, blank=True, help_text="Generative minus log-likelihood accuracy")
    format_gap_low = models.FloatField(null=True, blank=True)
    format_gap_high = models.FloatField(null=True, blank=True)
    co2_g = models.FloatField(null=True, blank=True, help_text="The run's estimated emissions, g CO2eq")
    submitted_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "leaderboard_leaderboardentry"  # the table it was created as (the app was `leaderboard`)
        ordering = ["-average"]
        verbose_name_plural = "leaderboard entries"
        indexes = [
            models.Index(fields=["suite", "-average"], name="entry_suite_average"),
            # the order of the first page of a ranking: best average first, empty averages last
            models.Index(F("suite"), F("average").desc(nulls_last=True), name="entry_suite_average_nulls_last"),
            models.Index(F("suite"), F("average_norm").desc(nulls_last=True), name="entry_suite_norm_nulls_last"),
            models.Index(fields=["suite", "submitted_at"], name="entry_suite_submitted"),
            models.Index(fields=["model_id"], name="entry_model_id"),
            models.Index(fields=["suite", "license"], name="entry_suite_license"),
            models.Index(fields=["suite", "rank_best", "rank_worst"], name="entry_suite_band"),
            # the count of a ranking's default view (flagged rows hidden) read from the index alone
            models.Index(fields=["suite"], condition=Q(flag__isnull=True), name="entry_suite_unflagged"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_reference=True, submission__isnull=True, run__isnull=True)
                | Q(is_reference=False, submission__isnull=False, run__isnull=False),
                name="entry_reference_xor_submission",
            )
        ]

    def __str__(self) -> str:
        return self.model_id

    @property
    def flagged(self) -> bool:
        return self.flag_id is not None

    @property
    def average_ci(self) -> list[float] | None:
        return (
            None
            if self.average_ci_low is None or self.average_ci_high is None
            else [self.average_ci_low, self.average_ci_high]
        )

    @property
    def format_gap_ci(self) -> list[float] | None:
        return (
            None
            if self.format_gap_low is None or self.format_gap_high is None
            else [self.format_gap_low, self.format_gap_high]
        )

    @property
    def rank_band(self) -> list[int] | None:
        return None if self.rank_best is None or self.rank_worst is None else [self.rank_best, self.rank_worst]


class RankingVersion(models.Model):
    """Bumped whenever a suite's ranking changes: the key under which rendered ranking pages are cached."""

    suite = models.OneToOneField(
        "catalogue.Suite", on_delete=models.CASCADE, primary_key=True, related_name="ranking_version"
    )
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField()

    class Meta:
        db_table = "leaderboard_rankingversion"

    def __str__(self) -> str:
        return f"{self.suite_id} v{self.version}"
