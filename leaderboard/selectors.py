"""Reads behind the public pages. A ranking page is one indexed query on LeaderboardEntry."""

import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Rank
from django.http import Http404
from django.shortcuts import get_object_or_404

from evaluation.models import EvalRun, SampleLog, Suite, SuiteTask, TaskResult
from leaderboard.models import Flag, FlagStatus, LeaderboardEntry
from submissions.models import ModelSubmission


def score_field(index: int) -> str:
    return f"score_{index}"


def suite_for_ranking(slug: str | None) -> tuple[Suite, list[SuiteTask]]:
    """The suite named by ``slug`` (404 if none), or without one the default suite, else the first."""
    if slug is None:
        suite = Suite.objects.filter(slug=settings.DEFAULT_SUITE).first() or Suite.objects.first()
        if suite is None:
            raise Http404("No benchmark suite is loaded yet: run `python manage.py load_suites`.")
    else:
        suite = get_object_or_404(Suite, slug=slug)
    return suite, list(suite.tasks.all())


@dataclass(frozen=True)
class RankingOptions:
    """How a ranking is shown: raw or normalised scores, which task columns, what the average spans."""

    normalised: bool = False
    visible_average: bool = False
    hidden_tasks: frozenset[str] = field(default_factory=frozenset)

    def visible(self, suite_tasks: list[SuiteTask]) -> list[tuple[int, SuiteTask]]:
        return [(i, t) for i, t in enumerate(suite_tasks) if t.task not in self.hidden_tasks]


def _task_score(index: int, normalised: bool) -> F:
    return F(f"{'norm' if normalised else 'raw'}__{index}")


def ranking(suite: Suite, suite_tasks: list[SuiteTask], options: RankingOptions = RankingOptions()) -> QuerySet:
    """The suite's entries, best first, with ``avg`` (the average shown), ``rank`` (among submissions
    only: reference rows are never ranked) and each visible task's score as a sortable column."""
    visible = options.visible(suite_tasks)
    scores = {score_field(i): _task_score(i, options.normalised) for i, t in visible}
    rows = LeaderboardEntry.objects.filter(suite=suite).defer("scores", "raw", "norm").annotate(**scores)
    if options.visible_average and visible and len(visible) < len(suite_tasks):
        # An average of the user's choosing: ranked here, over all matching rows (a window on narrow rows).
        total = Value(0.0)
        for i, t in visible:
            total = total + _task_score(i, options.normalised)
        rows = rows.annotate(avg=total / Value(float(len(visible)))).annotate(
            shown_rank=Window(
                Rank(),
                partition_by=[ExpressionWrapper(Q(is_reference=False, flag__isnull=True), output_field=BooleanField())],
                order_by=F("avg").desc(nulls_last=True),
            )
        )
    else:
        # The averages over all tasks are ranked when entries change (leaderboard.services.suite_ranks_refresh):
        # the first page is then the top of an index.
        rows = rows.annotate(
            avg=F("average_norm" if options.normalised else "average"),
            shown_rank=F("rank_norm" if options.normalised else "rank"),
        )
    return rows.order_by(F("avg").desc(nulls_last=True), "model_id")


@dataclass(frozen=True)
class RankingState:
    slug: str
    name: str
    cache_key: str


def ranking_state(slug: str | None) -> RankingState:
    """In one query: the suite a ranking URL names (as suite_for_ranking picks it) and the key under which
    its rendered pages are cached, which changes with the suite's RankingVersion."""
    fields = ("pk", "slug", "name", "ranking_version__version", "ranking_version__changed_at")
    suites = Suite.objects.values_list(*fields)
    found = suites.filter(slug=slug or settings.DEFAULT_SUITE).first()
    if found is None and slug is None:
        found = suites.first()
    if found is None:
        if slug is None:
            raise Http404("No benchmark suite is loaded yet: run `python manage.py load_suites`.")
        raise Http404(f"No suite {slug}.")
    pk, slug, name, version, changed_at = found
    stamp = f"{version}:{changed_at.timestamp()}" if version else "0"
    return RankingState(slug, name, f"ranking:{pk}:{stamp}")


def licenses_of(suite: Suite) -> list[str]:
    return list(
        LeaderboardEntry.objects.filter(suite=suite)
        .exclude(license="")
        .order_by("license")
        .values_list("license", flat=True)
        .distinct()
    )


# --- Plots ------------------------------------------------------------------------------------------


def top_score_history(suite: Suite) -> list[dict]:
    """Each time the best average of the suite's ranked, unflagged submissions went up: when, by whom, to what."""
    table = LeaderboardEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT model_id, submitted_at, average FROM (
                SELECT model_id, submitted_at, average,
                       max(average) OVER (ORDER BY submitted_at, id ROWS BETWEEN UNBOUNDED PRECEDING
                                          AND 1 PRECEDING) AS best_before
                FROM {table}
                WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND average IS NOT NULL
            ) steps
            WHERE best_before IS NULL OR average > best_before
            ORDER BY submitted_at
            """,
            [suite.pk],
        )
        return [
            {"model": model_id, "date": submitted_at.isoformat(), "score": average}
            for model_id, submitted_at, average in cursor.fetchall()
        ]


def score_distribution(suite: Suite, suite_tasks: list[SuiteTask], bins: int = 20) -> list[dict]:
    """Per task, how many ranked, unflagged submissions score in each of ``bins`` equal slices of [0, 1]."""
    table = LeaderboardEntry._meta.db_table
    counts = {t.task: [0] * bins for t in suite_tasks}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.key, least(width_bucket(s.value::float, 0, 1, %s), %s) AS bucket, count(*)
            FROM {table} e, jsonb_each_text(e.scores) s
            WHERE e.suite_id = %s AND NOT e.is_reference AND e.flag_id IS NULL
            GROUP BY 1, 2
            """,
            [bins, bins, suite.pk],
        )
        for task, bucket, count in cursor.fetchall():
            if task in counts and bucket >= 1:
                counts[task][bucket - 1] = count
    return [{"task": t.task, "name": t.name, "choices": t.choices, "counts": counts[t.task]} for t in suite_tasks]


def suite_medians(suite: Suite, suite_tasks: list[SuiteTask]) -> dict[str, float]:
    """The median score of each task over the suite's ranked, unflagged submissions."""
    if not suite_tasks:
        return {}
    table = LeaderboardEntry._meta.db_table
    columns = ", ".join(
        "percentile_cont(0.5) WITHIN GROUP (ORDER BY (scores ->> %s)::float)" for _ in suite_tasks
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL",
            [*(t.task for t in suite_tasks), suite.pk],
        )
        row = cursor.fetchone()
    return {t.task: value for t, value in zip(suite_tasks, row) if value is not None}


# --- Model pages ------------------------------------------------------------------------------------


@dataclass
class TaskScore:
    suite_task: SuiteTask
    value: float | None
    stderr: float | None
    median: float | None


@dataclass
class RankedEntry:
    entry: LeaderboardEntry
    scores: list[TaskScore]


def model_submissions(model_id: str) -> list[ModelSubmission]:
    """Every submission of a model (404 if none) with its runs, newest first."""
    submissions = list(
        ModelSubmission.objects.filter(model_id=model_id)
        .select_related("suite")
        .prefetch_related("runs")
        .order_by("-created_at")
    )
    if not submissions:
        raise Http404(f"{model_id} has never been submitted.")
    return submissions


def model_rankings(model_id: str) -> list[RankedEntry]:
    """The model's ranked entries, each with per-task score, stderr and the suite's median."""
    entries = list(
        LeaderboardEntry.objects.filter(model_id=model_id, is_reference=False)
        .select_related("suite", "flag")
        .order_by("suite__position", "-average")
    )
    results = {
        (r.run_id, r.task, r.metric, r.metric_filter): r
        for r in TaskResult.objects.filter(run__in=[e.run_id for e in entries])
    }
    ranked, medians_by_suite = [], {}
    for entry in entries:
        suite_tasks = list(entry.suite.tasks.all())
        if entry.suite_id not in medians_by_suite:
            medians_by_suite[entry.suite_id] = suite_medians(entry.suite, suite_tasks)
        medians = medians_by_suite[entry.suite_id]
        scores = []
        for t in suite_tasks:
            result = results.get((entry.run_id, t.task, t.metric, t.metric_filter))
            scores.append(
                TaskScore(
                    suite_task=t,
                    value=entry.scores.get(t.task),
                    stderr=result.stderr if result else None,
                    median=medians.get(t.task),
                )
            )
        ranked.append(RankedEntry(entry=entry, scores=scores))
    return ranked


def model_flags(model_id: str) -> QuerySet[Flag]:
    return Flag.objects.filter(model_id=model_id).select_related("user").order_by("-created_at")


def flags_public() -> QuerySet[Flag]:
    """Every flag: open ones first, then upheld, then dismissed; newest first within each."""
    order = Case(
        When(status=FlagStatus.OPEN, then=Value(0)), When(status=FlagStatus.UPHELD, then=Value(1)), default=Value(2)
    )
    return Flag.objects.select_related("user").annotate(n_comments=Count("comments")).order_by(order, "-created_at")


# --- Sample browser ---------------------------------------------------------------------------------


def run_for_samples(run_id: int) -> tuple[EvalRun, list[SuiteTask]]:
    run = get_object_or_404(EvalRun.objects.select_related("submission__suite"), pk=run_id)
    return run, list(run.submission.suite.tasks.all())


def sample_filters(run: EvalRun, task: str) -> list[str]:
    return list(
        SampleLog.objects.filter(run=run, task=task).order_by("filter").values_list("filter", flat=True).distinct()
    )


def samples(
    run: EvalRun, suite_task: SuiteTask, metric_filter: str, *, outcome: str = "", query: str = ""
) -> QuerySet[SampleLog]:
    """A run's samples of one task, in document order; ``outcome`` 'correct' or 'incorrect' by the suite's
    metric; ``query`` searched (case-insensitively) in the prompt the model saw."""
    rows = SampleLog.objects.filter(run=run, task=suite_task.task, filter=metric_filter)
    metric = f"metrics__{suite_task.metric}"
    if outcome == "correct":
        rows = rows.filter(**{metric: 1})
    elif outcome == "incorrect":
        rows = rows.filter(~Q(**{metric: 1}))
    if query:
        rows = rows.annotate(prompt=KeyTextTransform("arg_0", KeyTextTransform("gen_args_0", "arguments"))).filter(
            prompt__icontains=query
        )
    return rows.order_by("doc_id")


@dataclass
class Choice:
    text: str
    loglikelihood: float | None
    is_greedy: bool
    is_target: bool
    is_pick: bool

    @property
    def loglikelihood_text(self) -> str:
        return "—" if self.loglikelihood is None else f"{self.loglikelihood:.4f}"


@dataclass
class SampleView:
    sample: SampleLog
    prompt: str
    choices: list[Choice]
    generation: str | None
    target: str
    correct: bool | None


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def sample_view(sample: SampleLog, suite_task: SuiteTask) -> SampleView:
    """A logged sample as the browser shows it: the prompt exactly as the model saw it, each choice with its
    log-likelihood, the target and the model's pick (the highest log-likelihood; per character for acc_norm)."""
    arguments = sample.arguments or {}
    requests = [arguments[key] for key in sorted(arguments, key=lambda k: int(k.rsplit("_", 1)[-1]))]
    prompt = requests[0].get("arg_0", "") if requests else ""
    metric_value = (sample.metrics or {}).get(suite_task.metric)
    correct = None if metric_value is None else metric_value == 1
    resps = sample.resps or []
    is_loglikelihood = bool(resps) and all(
        isinstance(r, list) and r and isinstance(r[0], list) and len(r[0]) == 2 for r in resps
    )
    if not is_loglikelihood:
        generated = resps[0][0] if resps and isinstance(resps[0], list) and resps[0] else None
        filtered = sample.filtered_resps[0] if isinstance(sample.filtered_resps, list) and sample.filtered_resps else None
        text = filtered if isinstance(filtered, str) else generated
        return SampleView(sample, prompt, [], None if text is None else str(text), sample.target, correct)
    target_index = int(sample.target) if sample.target.strip().isdigit() else None
    choices = []
    for index, (request, resp) in enumerate(zip(requests, resps)):
        continuation = str(request.get("arg_1", ""))
        choices.append(
            Choice(
                text=continuation,
                loglikelihood=_float(resp[0][0]),
                is_greedy=str(resp[0][1]) == "True",
                is_target=index == target_index,
                is_pick=False,
            )
        )
    per_char = suite_task.metric == "acc_norm"
    scored = [
        (-(c.loglikelihood / max(len(c.text), 1) if per_char else c.loglikelihood), i)
        for i, c in enumerate(choices)
        if c.loglikelihood is not None
    ]
    if scored:  # the first of equal best, as lm-eval's argmax
        choices[min(scored)[1]].is_pick = True
    target = choices[target_index].text.strip() if target_index is not None and target_index < len(choices) else ""
    return SampleView(sample, prompt, choices, None, target or sample.target, correct)
