"""Comparisons of two to four models of a suite, paired by question where both logged samples (McNemar per
task, a permutation test for the average), else from the stored standard errors; and the questions two runs
disagree on."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.core.cache import caches
from django.db import connection
from django.db.models import F
from django.db.models.fields.json import KeyTextTransform

from catalogue.models import Suite, SuiteTask
from core.errors import DomainError
from evaluation.models import SampleLog
from rankings.intervals import at_index
from rankings.models import LeaderboardEntry
from rankings.ranking_state import RankingState
from rankings.statistics import PairedCounts, paired_average, paired_task, unpaired_difference

MAX_COMPARED = 4
DISAGREEMENTS_PER_PAGE = 50

T = TypeVar("T")


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


def _pair_counts(suite_tasks: list[SuiteTask], run_a: int | None, run_b: int | None) -> dict[str, PairedCounts]:
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


def _unpaired(
    a: LeaderboardEntry, b: LeaderboardEntry, suite_tasks: list[SuiteTask]
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Without samples on both sides: each task's and the average's difference from the stored scores and
    standard errors (an unpaired z-test)."""
    tasks: dict[str, Any] = {}
    parts: list[tuple[float, float]] = []
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


def _with_samples(run_ids: list[int | None]) -> set[int | None]:
    return {run_id for run_id in run_ids if SampleLog.objects.filter(run_id=run_id).exists()}


def comparison(suite: Suite, suite_tasks: list[SuiteTask], entries: list[LeaderboardEntry]) -> dict[str, Any]:
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
            average: dict[str, Any] | None = paired_average([counts[t.task] for t in suite_tasks if t.task in counts])
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
    suite_tasks: list[SuiteTask], run_a: int | None, run_b: int | None, *, task: str | None, offset: int, limit: int
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


def _cached(key: str, compute: Callable[[], T], seconds: int) -> T:
    """``compute()``, kept in the "ranking" cache under ``key`` for ``seconds`` (0: not kept)."""
    cache = caches["ranking"]
    found: T | None = cache.get(key) if seconds else None
    if found is None:
        found = compute()
        if seconds:
            cache.set(key, found, seconds)
    return found


@dataclass(frozen=True)
class Comparison:
    suite: Suite
    entries: list[LeaderboardEntry]  # the compared models' entries, in the order asked
    result: dict[str, Any]  # the API's answer: see comparison()
    cache_key: str  # under the ranking's version and the runs' ids


def comparison_for(state: RankingState, model_ids: list[str], cache_seconds: int) -> Comparison:
    """The comparison of ``model_ids`` on the suite of ``state`` (rankings.ranking_state, which the view reads
    first: it 404s on an unknown suite), kept in the "ranking" cache for ``cache_seconds``
    (0: not kept) under the ranking's version, which every change of an entry bumps, and the ids: a repeated
    comparison costs one query. Raises CompareError (see compared_entries), which is not kept."""
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
