"""Reads behind the public pages. A ranking page is one indexed query on LeaderboardEntry."""

import hashlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.fields.array import IndexTransform
from django.core.cache import caches
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    Value,
    When,
    Window,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Rank
from django.http import Http404
from django.shortcuts import get_object_or_404

from catalogue.models import Suite, SuiteTask
from core.errors import DomainError
from evaluation.ingest import NO_ANSWER
from evaluation.models import EvalRun, SampleLog, TaskResult
from leaderboard.filters import DisplayForm, RankingFilter, RankingOptions, display_options, score_field
from leaderboard.intervals import at_index, row_intervals
from leaderboard.models import Flag, FlagStatus, LeaderboardEntry
from leaderboard.ranking_state import per_version, ranking_state
from leaderboard.statistics import PairedCounts, paired_average, paired_task, unpaired_difference
from leaderboard.tables import RankingTable, ranking_table
from submissions.models import ModelSubmission


def suite_for_ranking(slug: str | None) -> tuple[Suite, list[SuiteTask]]:
    """The suite named by ``slug`` (404 if none), or without one the default suite, else the first."""
    if slug is None:
        suite = Suite.objects.filter(slug=settings.DEFAULT_SUITE).first() or Suite.objects.first()
        if suite is None:
            raise Http404("No benchmark suite is loaded yet: run `python manage.py load_suites`.")
    else:
        suite = get_object_or_404(Suite, slug=slug)
    return suite, list(suite.tasks.all())


def _task_score(index: int, normalised: bool) -> IndexTransform:
    """The score of the task number ``index``: ``raw[index]`` written directly (resolving ``raw__0`` through the
    lookups costs, per column, a tenth of a page's query)."""
    scores = LeaderboardEntry._meta.get_field("norm" if normalised else "raw")
    return IndexTransform(index + 1, scores.base_field, F(scores.name))


def _entries(matching: QuerySet, suite_tasks: list[SuiteTask], options: RankingOptions) -> QuerySet:
    """The ``matching`` entries, best first, with ``avg`` (the average shown), ``rank`` (among submissions
    only: reference rows are never ranked) and each visible task's score as a sortable column."""
    visible = options.visible(suite_tasks)
    scores = {score_field(i): _task_score(i, options.normalised) for i, t in visible}
    rows = matching.defer("scores", "raw", "norm").annotate(**scores)
    if options.visible_average and visible and len(visible) < len(suite_tasks):
        # An average of the user's choosing: ranked here, over all matching rows (a window on narrow rows).
        total = Value(0.0)
        for i, _ in visible:
            total = total + _task_score(i, options.normalised)
        rows = rows.annotate(avg=total / Value(float(len(visible)))).annotate(
            shown_rank=Window(
                Rank(),
                partition_by=[
                    ExpressionWrapper(
                        Q(is_reference=False, flag__isnull=True, comparable=True), output_field=BooleanField()
                    )
                ],
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
    if options.subject:  # the accuracy on one subject across the suite's breakdowns, best first
        score = Cast(KeyTextTransform("score", KeyTransform(options.subject, "subjects")), FloatField())
        return rows.annotate(subject_score=score).order_by(F("subject_score").desc(nulls_last=True), "model_id")
    return rows.order_by(F("avg").desc(nulls_last=True), "model_id")


@dataclass(frozen=True)
class RankingRow:
    """A row of a ranking as its exports and the API give it."""

    rank: int | None  # by the average shown; none for reference, flagged and not comparable rows: never ranked
    model: str
    revision: str
    precision: str
    reference: bool
    flagged: bool
    average: float | None  # over all tasks, or over the visible ones only, as asked
    scores: dict[str, float | None]  # each visible task's score, raw or normalised as asked, in suite order
    ci: dict[str, list[float] | None]  # each visible task's 95% interval, on the same scale
    average_ci: list[float] | None  # the 95% interval of the average shown
    rank_band: list[int] | None  # [best, worst] rank the average's interval allows among the ranked models
    comparable: bool  # obtained in the suite's setting
    entry: LeaderboardEntry  # the rest of what the ranking shows: type, licence, size, likes, ...


class RankingRows:
    """A ranking's rows, each read from its entry when asked for: a paginator pages them in the database."""

    def __init__(self, entries: QuerySet, visible: list[tuple[int, SuiteTask]], options: RankingOptions):
        self.entries, self.visible, self.options = entries, visible, options

    def _row(self, entry: LeaderboardEntry) -> RankingRow:
        ci, average_ci = row_intervals(entry, self.visible, self.options)
        return RankingRow(
            rank=None if entry.is_reference or entry.flag_id or not entry.comparable else entry.shown_rank,
            model=entry.model_id,
            revision=entry.commit_sha,
            precision=entry.precision,
            reference=entry.is_reference,
            flagged=entry.flag_id is not None,
            average=entry.avg,
            scores={t.task: getattr(entry, score_field(i)) for i, t in self.visible},
            ci=ci,
            average_ci=average_ci,
            rank_band=entry.rank_band,
            comparable=entry.comparable,
            entry=entry,
        )

    def count(self) -> int:
        return self.entries.count()

    def __getitem__(self, index: slice) -> list[RankingRow]:
        return [self._row(entry) for entry in self.entries[index]]

    def __iter__(self) -> Iterator[RankingRow]:
        return map(self._row, self.entries)


@dataclass
class Ranking:
    """A suite's ranking as a URL asks for it (filters, display options, sort): the ranking page, its CSV and
    JSON exports and the API all read it this one way."""

    suite: Suite
    suite_tasks: list[SuiteTask]
    filters: RankingFilter  # the filters as asked; ``filters.qs``: the matching entries (counted as they are)
    display: DisplayForm  # the display options as in force
    options: RankingOptions
    columns: list[str]  # the task and optional columns shown
    version: str | None = None  # the ranking's cache key (RankingState): rows rendered once per version

    @property
    def visible(self) -> list[tuple[int, SuiteTask]]:
        return self.options.visible(self.suite_tasks)

    def table(self, request, *, paginate: bool = True) -> RankingTable:
        """The page's table of the matching entries, sorted (``sort``) and paged as the request asks."""
        return ranking_table(
            self.suite.slug,
            self.suite_tasks,
            _entries(self.filters.qs, self.suite_tasks, self.options),
            request,
            self.options,
            self.columns,
            paginate=paginate,
            version=self.version,
            counted=self.filters.qs,
        )

    def rows(self, request, *, references: bool = True) -> RankingRows:
        """Every matching row in the order the table shows them (the request's ``sort``), not paged; without
        the reference rows where ``references`` is false."""
        entries = self.table(request, paginate=False).data.data
        return RankingRows(entries if references else entries.filter(is_reference=False), self.visible, self.options)


def ranking(params, slug: str | None, *, version: str | None = None) -> Ranking:
    """The ranking that GET parameters ``params`` ask for, of the suite ``slug`` (as suite_for_ranking picks it).
    With ``version`` (RankingState.cache_key), what depends on the ranking alone (the suite and its tasks, its
    licenses, its rendered rows) is computed once per change of it or of the suites' definitions."""
    suite, suite_tasks = (
        per_version(f"{version}:suite", lambda: suite_for_ranking(slug)) if version else suite_for_ranking(slug)
    )
    display, options, columns = display_options(params, suite_tasks)
    licenses = per_version(f"{version}:licenses", lambda: licenses_of(suite)) if version else licenses_of(suite)
    filters = RankingFilter(params, licenses=licenses, queryset=LeaderboardEntry.objects.filter(suite=suite))
    return Ranking(suite, suite_tasks, filters, display, options, columns, version)


def licenses_of(suite: Suite) -> list[str]:
    return list(
        LeaderboardEntry.objects.filter(suite=suite)
        .exclude(license="")
        .order_by("license")
        .values_list("license", flat=True)
        .distinct()
    )


def suite_subjects(suite_pk: int) -> list[str]:
    """The subjects of the suite's breakdowns that some entry has a score on, sorted: the ranking's subject
    picker and what its ``subject`` parameter may name."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT jsonb_object_keys(subjects) FROM {LeaderboardEntry._meta.db_table} "
            "WHERE suite_id = %s AND jsonb_typeof(subjects) = 'object' ORDER BY 1",
            [suite_pk],
        )
        return [subject for (subject,) in cursor.fetchall()]


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
                WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND comparable AND average IS NOT NULL
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


def score_against_size(suite: Suite, shown: int = 1500) -> dict:
    """The average of the suite's ranked, unflagged submissions against their size in billions of parameters:
    the ``shown`` best as points, and the best-per-size frontier over all of them (each model that no smaller
    or equal-sized one beats), smallest first."""
    table = LeaderboardEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT model_id, params_billions, average FROM {table}
            WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND comparable AND average IS NOT NULL
                  AND params_billions > 0
            ORDER BY params_billions, average DESC, model_id
            """,
            [suite.pk],
        )
        rows = cursor.fetchall()
    frontier, best = [], None
    for model_id, params, average in rows:
        if best is None or average > best:
            best = average
            frontier.append({"model": model_id, "params": params, "score": average})
    points = sorted(rows, key=lambda row: -row[2])[:shown]
    return {
        "points": [{"model": m, "params": p, "score": a} for m, p, a in points],
        "frontier": frontier,
        "total": len(rows),
    }


def score_distribution(suite: Suite, suite_tasks: list[SuiteTask], bins: int = 20) -> list[dict]:
    """Per task, how many ranked, unflagged submissions score in each of ``bins`` equal slices of [0, 1]."""
    table = LeaderboardEntry._meta.db_table
    counts = {t.task: [0] * bins for t in suite_tasks}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.key, least(width_bucket(s.value::float, 0, 1, %s), %s) AS bucket, count(*)
            FROM {table} e, jsonb_each_text(e.scores) s
            WHERE e.suite_id = %s AND NOT e.is_reference AND e.flag_id IS NULL AND e.comparable
            GROUP BY 1, 2
            """,
            [bins, bins, suite.pk],
        )
        for task, bucket, count in cursor.fetchall():
            if task in counts and bucket >= 1:
                counts[task][bucket - 1] = count
    return [{"task": t.task, "name": t.name, "choices": t.choices, "counts": counts[t.task]} for t in suite_tasks]


def suite_medians(suite: Suite, suite_tasks: list[SuiteTask]) -> dict[str, float]:
    """The median score of each task over the suite's ranked submissions (unflagged, comparable)."""
    if not suite_tasks:
        return {}
    table = LeaderboardEntry._meta.db_table
    columns = ", ".join("percentile_cont(0.5) WITHIN GROUP (ORDER BY (scores ->> %s)::float)" for _ in suite_tasks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND comparable",
            [*(t.task for t in suite_tasks), suite.pk],
        )
        row = cursor.fetchone()
    return {t.task: value for t, value in zip(suite_tasks, row, strict=True) if value is not None}


# --- Model pages ------------------------------------------------------------------------------------


@dataclass
class TaskScore:
    suite_task: SuiteTask
    value: float | None
    stderr: float | None
    median: float | None
    ci: list[float] | None  # the stored 95% interval
    n: int | None = None  # how many questions the score comes from


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
        for i, t in enumerate(suite_tasks):
            result = results.get((entry.run_id, t.task, t.metric, t.metric_filter))
            low, high = at_index(entry.ci_low, i), at_index(entry.ci_high, i)
            scores.append(
                TaskScore(
                    suite_task=t,
                    value=entry.scores.get(t.task),
                    stderr=result.stderr if result else None,
                    median=medians.get(t.task),
                    ci=None if low is None else [low, high],
                    n=result.n_samples if result else None,
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


OUTCOMES = ("correct", "incorrect", "no_answer")


def samples(
    run: EvalRun, suite_task: SuiteTask, metric_filter: str, *, outcome: str = "", query: str = ""
) -> QuerySet[SampleLog]:
    """A run's samples of one task, in document order; ``outcome`` 'correct' or 'incorrect' by the suite's
    metric, or 'no_answer' (a generation the filter found no answer in); ``query`` searched (case-insensitively)
    in the prompt the model saw."""
    rows = SampleLog.objects.filter(run=run, task=suite_task.task, filter=metric_filter)
    metric = f"metrics__{suite_task.metric}"
    if outcome == "correct":
        rows = rows.filter(**{metric: 1})
    elif outcome == "incorrect":
        rows = rows.filter(~Q(**{metric: 1}))
    elif outcome == "no_answer":
        rows = rows.filter(Q(filtered_resps=[NO_ANSWER]) | Q(filtered_resps=NO_ANSWER))
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
    generation: str | None  # a generative task's whole answer (its thinking apart, in sample.thinking)
    target: str
    correct: bool | None
    extracted: str | None = None  # what the filter took from the generation

    @property
    def no_answer(self) -> bool:
        return self.extracted == NO_ANSWER


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
        filtered = (
            sample.filtered_resps[0] if isinstance(sample.filtered_resps, list) and sample.filtered_resps else None
        )
        return SampleView(
            sample,
            prompt,
            [],
            None if generated is None else str(generated),
            sample.target,
            correct,
            extracted=filtered if isinstance(filtered, str) else None,
        )
    target_index = int(sample.target) if sample.target.strip().isdigit() else None
    choices = []
    for index, (request, resp) in enumerate(zip(requests, resps, strict=False)):
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


# --- Comparisons ------------------------------------------------------------------------------------

MAX_COMPARED = 4
DISAGREEMENTS_PER_PAGE = 50


class CompareError(DomainError):
    """A comparison the URL cannot have (too few or too many models, a model not ranked on the suite)."""

    field = "models"


def compare_models_parse(text: str) -> list[str]:
    """The distinct model ids of a ``models`` parameter (comma-separated), in their order."""
    return list(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))


def compared_entries(suite: Suite, model_ids: list[str]) -> list[LeaderboardEntry]:
    """Each model's entry on the suite (of its submissions there, the best ranked), in the order given; raises
    CompareError unless there are 2 to MAX_COMPARED models, each with an entry."""
    if not 2 <= len(model_ids) <= MAX_COMPARED:
        raise CompareError(f"Compare 2 to {MAX_COMPARED} models (got {len(model_ids)}).")
    best = (
        LeaderboardEntry.objects.filter(suite=suite, model_id__in=model_ids, is_reference=False)
        .only("model_id", "run_id", "raw", "se", "average", "average_ci_low", "average_ci_high")
        .order_by("model_id", F("average").desc(nulls_last=True), "-pk")
        .distinct("model_id")
    )
    found = {entry.model_id: entry for entry in best}
    missing = [model_id for model_id in model_ids if model_id not in found]
    if missing:
        raise CompareError(f"Not on the {suite.name} ranking: {', '.join(missing)}.")
    return [found[model_id] for model_id in model_ids]


def _pair_counts(suite_tasks: list[SuiteTask], run_a: int, run_b: int) -> dict[str, PairedCounts]:
    """Per task, the questions both runs answered (the same document: doc id and hash) counted in one query:
    how many, right by each, right by only one of them (right: the suite's metric is 1)."""
    values = ", ".join(["(%s, %s, %s)"] * len(suite_tasks))
    table = SampleLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH t(task, filter, metric) AS (VALUES {values}),
            pairs AS (
                SELECT a.task, coalesce((a.metrics ->> t.metric)::float = 1, false) AS a_ok,
                       coalesce((b.metrics ->> t.metric)::float = 1, false) AS b_ok
                FROM {table} a
                JOIN t ON a.task = t.task AND a.filter = t.filter
                JOIN {table} b ON b.run_id = %s AND b.task = a.task AND b.filter = a.filter AND b.doc_id = a.doc_id
                                  AND b.doc_hash = a.doc_hash
                WHERE a.run_id = %s
            )
            SELECT task, count(*), count(*) FILTER (WHERE a_ok), count(*) FILTER (WHERE b_ok),
                   count(*) FILTER (WHERE a_ok AND NOT b_ok), count(*) FILTER (WHERE b_ok AND NOT a_ok)
            FROM pairs GROUP BY task
            """,
            [*(v for t in suite_tasks for v in (t.task, t.metric_filter, t.metric)), run_b, run_a],
        )
        return {task: PairedCounts(*counts) for task, *counts in cursor.fetchall()}


def _unpaired(a: LeaderboardEntry, b: LeaderboardEntry, suite_tasks: list[SuiteTask]) -> tuple[dict, dict]:
    """Without samples on both sides: each task's and the average's difference from the stored scores and
    standard errors (an unpaired z-test)."""
    tasks, parts = {}, []
    for i, t in enumerate(suite_tasks):
        score_a, score_b, se_a, se_b = at_index(a.raw, i), at_index(b.raw, i), at_index(a.se, i), at_index(b.se, i)
        if None in (score_a, score_b, se_a, se_b):
            tasks[t.task] = None
            continue
        parts.append((score_a - score_b, se_a**2 + se_b**2))
        tasks[t.task] = unpaired_difference(*parts[-1])
    average = None
    if parts and len(parts) == len(suite_tasks):
        count = len(parts)
        average = unpaired_difference(sum(d for d, _ in parts) / count, sum(v for _, v in parts) / count**2)
    return tasks, average


def _with_samples(run_ids: list[int]) -> set[int]:
    return {run_id for run_id in run_ids if SampleLog.objects.filter(run_id=run_id).exists()}


def comparison(suite: Suite, suite_tasks: list[SuiteTask], entries: list[LeaderboardEntry]) -> dict:
    """The first model against each other one (the API's shape): per task and for the average, paired by
    question where both have samples (exact McNemar per task, a sign-flip permutation test for the average),
    else unpaired from the stored stderrs."""
    sampled = _with_samples([entry.run_id for entry in entries])
    first, comparisons = entries[0], []
    for other in entries[1:]:
        paired = first.run_id in sampled and other.run_id in sampled
        if paired:
            counts = _pair_counts(suite_tasks, first.run_id, other.run_id)
            tasks = {
                t.task: {**paired_task(counts[t.task]), "method": "exact McNemar"} if t.task in counts else None
                for t in suite_tasks
            }
            average = paired_average([counts[t.task] for t in suite_tasks if t.task in counts])
        else:
            tasks, average = _unpaired(first, other, suite_tasks)
        comparisons.append(
            {"a": first.model_id, "b": other.model_id, "paired": paired, "tasks": tasks, "average": average}
        )
    return {
        "suite": suite.slug,
        "models": [entry.model_id for entry in entries],
        "runs": {entry.model_id: entry.run_id for entry in entries},
        "comparisons": comparisons,
    }


@dataclass(frozen=True)
class Disagreement:
    task: str
    doc_id: int
    a_correct: bool
    prompt: str


def disagreements(
    suite_tasks: list[SuiteTask], run_a: int, run_b: int, *, task: str | None, offset: int, limit: int
) -> list[Disagreement]:
    """The questions both runs answered on which exactly one of them is right, in suite task and document order
    (of ``task`` only, where given): ``limit`` of them from ``offset``. Found on the samples' covering index,
    then the prompts of just those are read."""
    chosen = [t for t in suite_tasks if task in (None, t.task)]
    if not chosen:
        return []
    values = ", ".join(["(%s, %s, %s, %s)"] * len(chosen))
    table = SampleLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH t(task, filter, metric, position) AS (VALUES {values})
            SELECT a.task, a.doc_id, coalesce((a.metrics ->> t.metric)::float = 1, false)
            FROM {table} a
            JOIN t ON a.task = t.task AND a.filter = t.filter
            JOIN {table} b ON b.run_id = %s AND b.task = a.task AND b.filter = a.filter AND b.doc_id = a.doc_id
                              AND b.doc_hash = a.doc_hash
            WHERE a.run_id = %s AND coalesce((a.metrics ->> t.metric)::float = 1, false)
                                    <> coalesce((b.metrics ->> t.metric)::float = 1, false)
            ORDER BY t.position, a.doc_id
            LIMIT %s OFFSET %s
            """,
            [
                *(v for i, t in enumerate(chosen) for v in (t.task, t.metric_filter, t.metric, i)),
                run_b,
                run_a,
                limit,
                offset,
            ],
        )
        found = cursor.fetchall()
    filters = {t.task: t.metric_filter for t in chosen}
    prompts = {
        (row_task, doc_id): prompt
        for row_task, doc_id, prompt in SampleLog.objects.filter(
            run_id=run_a, task__in={row[0] for row in found}, doc_id__in={row[1] for row in found}
        )
        .annotate(prompt=KeyTextTransform("arg_0", KeyTextTransform("gen_args_0", "arguments")))
        .filter(filter__in=set(filters.values()))
        .values_list("task", "doc_id", "prompt")
    }
    return [
        Disagreement(row_task, doc_id, a_ok, question_of(prompts.get((row_task, doc_id)) or ""))
        for row_task, doc_id, a_ok in found
    ]


def question_of(prompt: str, limit: int = 300) -> str:
    """The question a prompt asks, for a preview: its last paragraph (after a task's description and its few-shot
    examples, as MMLU's prompts have them), at most ``limit`` characters."""
    paragraphs = [part for part in prompt.strip().split("\n\n") if part.strip()]
    return (paragraphs[-1] if paragraphs else "")[:limit]


def _cached(key: str, compute, seconds: int):
    """``compute()``, kept in the "ranking" cache under ``key`` for ``seconds`` (0: not kept)."""
    cache = caches["ranking"]
    found = cache.get(key) if seconds else None
    if found is None:
        found = compute()
        if seconds:
            cache.set(key, found, seconds)
    return found


@dataclass(frozen=True)
class Comparison:
    suite: Suite
    entries: list[LeaderboardEntry]  # the compared models' entries, in the order asked
    result: dict  # the API's answer: see comparison()
    cache_key: str  # under the ranking's version and the runs' ids


def comparison_for(slug: str | None, model_ids: list[str], cache_seconds: int) -> Comparison:
    """The comparison of ``model_ids`` on the suite ``slug``, kept in the "ranking" cache for ``cache_seconds``
    (0: not kept) under the ranking's version, which every change of an entry bumps, and the ids: a repeated
    comparison costs one query. Raises CompareError (see compared_entries), which is not kept."""
    state = ranking_state(slug)
    key = f"{state.cache_key}:compare:{hashlib.sha256(','.join(model_ids).encode()).hexdigest()}"

    def compute() -> Comparison:
        suite = Suite.objects.get(slug=state.slug)
        entries = compared_entries(suite, model_ids)
        return Comparison(suite, entries, comparison(suite, list(suite.tasks.all()), entries), key)

    return _cached(key, compute, cache_seconds)


def disagreements_for(
    compared: Comparison,
    suite_tasks: list[SuiteTask],
    b: LeaderboardEntry,
    *,
    task: str | None,
    offset: int,
    limit: int,
    cache_seconds: int,
) -> list[Disagreement]:
    """A page of disagreements between the first compared model and ``b``, cached beside the comparison."""
    key = f"{compared.cache_key}:disagree:{b.run_id}:{task}:{offset}:{limit}"
    a = compared.entries[0].run_id
    return _cached(
        key, lambda: disagreements(suite_tasks, a, b.run_id, task=task, offset=offset, limit=limit), cache_seconds
    )


def compare_candidates(suite_slug: str, query: str, limit: int = 20) -> list[str]:
    """Models ranked on the suite whose id contains ``query``, best average first: the compare page's picker."""
    rows = LeaderboardEntry.objects.filter(suite__slug=suite_slug, is_reference=False, model_id__icontains=query)
    return list(
        dict.fromkeys(
            rows.order_by(F("average").desc(nulls_last=True), "model_id").values_list("model_id", flat=True)[
                : limit * 2
            ]
        )
    )[:limit]


DEMO_SUITE = "demo-medical"


def empty_suite_hint(suite: Suite) -> dict | None:
    """For a suite nobody is ranked on: where the demo board is ({"slug", "name"} when it has rows, {} when the
    demo has not been run); None when the suite has rows."""
    if LeaderboardEntry.objects.filter(suite=suite).exists():
        return None
    demo = Suite.objects.filter(slug=DEMO_SUITE, entries__isnull=False).exclude(pk=suite.pk).first()
    return {"slug": demo.slug, "name": demo.name} if demo else {}
