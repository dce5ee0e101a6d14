"""Every write to the denormalised ranking: a finished run's entry, many at once, the ranks and bands."""

import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import JSONField
from django.utils import timezone

from catalogue.models import Suite, SuiteTask
from core.bulk import rows_copy
from core.errors import DomainError
from evaluation.models import EvalRun, SubjectResult, TaskResult
from flags.models import Flag, FlagReason, FlagStatus
from rankings import statistics
from rankings.format_gap import entries_format_gap_refresh
from rankings.models import LeaderboardEntry, RankingVersion
from submissions.models import ModelSubmission, ModelType


class IncompleteRunError(DomainError):
    """A finished run lacks a score its suite ranks by."""


def score_normalise(value: float, choices: int | None) -> float:
    """A score rescaled so that answering at random scores 0 and a perfect model 1 (as the Open LLM
    Leaderboard v2 does): max(0, (raw - 1/k) / (1 - 1/k)) for k answer choices. A task without a
    single chance level (free generation, varying choices) keeps its raw score."""
    if not choices or choices < 2:
        return value
    chance = 1 / choices
    return max(0.0, (value - chance) / (1 - chance))


def scores_summary(scores: dict[str, float], suite_tasks: list[SuiteTask]) -> dict[str, Any]:
    """Scores by name and in task order, raw and normalised, and both averages; an average is empty when
    any of the suite's tasks has no score."""
    raw = [scores.get(t.task) for t in suite_tasks]
    norm = [
        None if value is None else score_normalise(value, t.choices) for value, t in zip(raw, suite_tasks, strict=True)
    ]
    complete = bool(suite_tasks) and None not in raw
    return {
        "scores": scores,
        "raw": raw,
        "norm": norm,
        "average": sum(v for v in raw if v is not None) / len(raw) if complete else None,
        "average_norm": sum(v for v in norm if v is not None) / len(norm) if complete else None,
    }


def _upheld_flag(model_id: str) -> Flag | None:
    return Flag.objects.filter(model_id=model_id, status=FlagStatus.UPHELD).order_by("-moderated_at", "-pk").first()


def _submission_columns(
    submission: ModelSubmission, flag: Flag | None, *, merged_flag: bool | None = None
) -> dict[str, Any]:
    """What the ranking shows about a submitted model: its submission, the hub's facts, its flags
    (``merged_flag``: whether an upheld flag says it is a merge; None: look it up)."""
    facts = submission.facts or {}
    num_params = facts.get("num_params")
    if merged_flag is None:
        merged_flag = Flag.objects.filter(
            model_id=submission.model_id, status=FlagStatus.UPHELD, reason=FlagReason.MERGE
        ).exists()
    return {
        "model_id": submission.model_id,
        "commit_sha": submission.commit_sha,
        "precision": submission.precision,
        "weight_type": submission.weight_type,
        "model_type": submission.model_type,
        "architecture": facts.get("architecture") or "",
        "params_billions": num_params / 1e9 if num_params else None,
        "license": facts.get("license") or "",
        "likes": facts.get("likes") or 0,
        "on_hub": not facts.get("private", False) and not facts.get("deleted", False),
        "is_merged": submission.model_type == ModelType.MERGE or merged_flag,
        "is_moe": bool(facts.get("is_moe", False)),
        "flag": flag,
        "submitted_at": submission.created_at,
    }


class Result(NamedTuple):
    """What a run's TaskResult says about one metric."""

    value: float
    stderr: float | None
    n_samples: int | None
    num_fewshot: int


RESULT_FIELDS = ("task", "metric", "metric_filter", *Result._fields)


def _run_results(found: dict[tuple[str, str, str], Result], suite_tasks: list[SuiteTask]) -> dict[str, Result]:
    """{task: result} of the suite's tasks from a run's {(task, metric, filter): result}; IncompleteRunError
    when one is missing."""
    results = {}
    for suite_task in suite_tasks:
        key = (suite_task.task, suite_task.metric, suite_task.metric_filter)
        if key not in found:
            raise IncompleteRunError(
                f"the harness reported no {suite_task.metric} ({suite_task.metric_filter}) for {suite_task.task}"
            )
        results[suite_task.task] = found[key]
    return results


def _intervals(
    scores: dict[str, float],
    suite_tasks: list[SuiteTask],
    sizes: dict[str, int | None],
    stderrs: dict[str, float | None],
) -> dict[str, Any]:
    """Each task's interval and standard error (Wilson on the task's questions where ``sizes`` knows them, else
    from the stderr) in the suite's order, and the average's interval when every task has one."""
    found = [
        None
        if scores.get(t.task) is None
        else statistics.score_interval(scores[t.task], n=sizes.get(t.task), stderr=stderrs.get(t.task))
        for t in suite_tasks
    ]
    average = None
    if suite_tasks and None not in found:
        average = statistics.average_interval(
            [(scores[t.task], f[2] ** 2) for t, f in zip(suite_tasks, found, strict=True) if f]
        )
    return {
        "ci_low": [f and f[0] for f in found],
        "ci_high": [f and f[1] for f in found],
        "se": [f and f[2] for f in found],
        "average_ci_low": average and average[0],
        "average_ci_high": average and average[1],
    }


def _run_statistics(
    results: dict[str, Result], suite_tasks: list[SuiteTask], *, imported: bool, subjects: list[tuple[str, int, float]]
) -> dict[str, Any]:
    """A run's intervals (an imported run has no samples: its stderrs), whether it ran in the suite's setting,
    and its accuracy per subject over the suite's breakdowns (``subjects``: (subject, n, correct) per task)."""
    sizes = {} if imported else {task: r.n_samples for task, r in results.items()}
    shots = {r.num_fewshot for t in suite_tasks if (r := results[t.task]).num_fewshot != t.num_fewshot}
    per_subject: dict[str, list[float]] = {}
    for subject, n, correct in subjects:
        counts = per_subject.setdefault(subject, [0, 0.0])
        counts[0] += n
        counts[1] += correct
    return {
        **_intervals(
            {task: r.value for task, r in results.items()},
            suite_tasks,
            sizes,
            {task: r.stderr for task, r in results.items()},
        ),
        "num_fewshot": max(shots) if shots else None,
        "comparable": not shots,
        "subjects": {
            subject: {"n": n, "score": correct / n, "ci": list(statistics.wilson_interval(correct, int(n)))}
            for subject, (n, correct) in sorted(per_subject.items())
        },
    }


@transaction.atomic
def entry_refresh(run: EvalRun) -> LeaderboardEntry:
    """Rank a finished run's submission by its suite's task scores (mean of all of them)."""
    submission = run.submission
    suite_tasks = list(submission.suite.tasks.all())
    names = [t.task for t in suite_tasks]
    found = {
        (task, metric, metric_filter): Result(*values)
        for task, metric, metric_filter, *values in run.results.filter(task__in=names).values_list(*RESULT_FIELDS)
    }
    results = _run_results(found, suite_tasks)
    subjects = SubjectResult.objects.filter(run=run, task__in=names).values_list("subject", "n", "correct")
    entry, _ = LeaderboardEntry.objects.update_or_create(
        submission=submission,
        defaults={
            "suite": submission.suite,
            "run": run,
            **_submission_columns(submission, _upheld_flag(submission.model_id)),
            **scores_summary({task: r.value for task, r in results.items()}, suite_tasks),
            **_run_statistics(results, suite_tasks, imported=submission.imported, subjects=list(subjects)),
            "co2_g": run.record.get("co2_g"),
        },
    )
    entries_format_gap_refresh(entry)
    suite_ranks_refresh(entry.suite_id)
    entry.refresh_from_db(
        fields=["rank", "rank_norm", "rank_best", "rank_worst", "format_gap", "format_gap_low", "format_gap_high"]
    )
    return entry


@transaction.atomic
def entries_refresh_runs(run_ids: list[int]) -> int:
    """Rank many finished runs at once (an import of a whole leaderboard): what ``entry_refresh`` does for
    each, with one query per table and one rank refresh per suite at the end. Returns the entries written."""
    runs = list(EvalRun.objects.filter(pk__in=run_ids).select_related("submission").defer("record", "log_tail"))
    if not runs:
        return 0
    run_suites = {run.pk: run.submission.suite_id for run in runs}
    suite_ids = set(run_suites.values())
    tasks_by_suite: dict[int, list[SuiteTask]] = {suite_id: [] for suite_id in suite_ids}
    for suite_task in SuiteTask.objects.filter(suite_id__in=suite_ids).order_by("suite", "position"):
        tasks_by_suite[suite_task.suite_id].append(suite_task)
    found: dict[int, dict[tuple[str, str, str], Result]] = {run.pk: {} for run in runs}
    for run_id, task, metric, metric_filter, *values in TaskResult.objects.filter(run_id__in=run_ids).values_list(
        "run_id", *RESULT_FIELDS
    ):
        found[run_id][task, metric, metric_filter] = Result(*values)
    subjects: dict[int, list[tuple[str, int, float]]] = {run.pk: [] for run in runs}
    for run_id, task, subject, n, correct in SubjectResult.objects.filter(run_id__in=run_ids).values_list(
        "run_id", "task", "subject", "n", "correct"
    ):
        if task in {t.task for t in tasks_by_suite[run_suites[run_id]]}:
            subjects[run_id].append((subject, n, correct))
    model_ids = {run.submission.model_id for run in runs}
    upheld = Flag.objects.filter(model_id__in=model_ids, status=FlagStatus.UPHELD)
    flags: dict[str, Flag] = {}
    for flag in upheld.order_by("model_id", "-moderated_at", "-pk"):
        flags.setdefault(flag.model_id, flag)
    merged = set(upheld.filter(reason=FlagReason.MERGE).values_list("model_id", flat=True))
    entries = []
    for run in runs:
        submission, suite_tasks = run.submission, tasks_by_suite[run.submission.suite_id]
        columns = _submission_columns(
            submission, flags.get(submission.model_id), merged_flag=submission.model_id in merged
        )
        results = _run_results(found[run.pk], suite_tasks)
        summary = scores_summary({task: r.value for task, r in results.items()}, suite_tasks)
        stats = _run_statistics(results, suite_tasks, imported=submission.imported, subjects=subjects[run.pk])
        entries.append(
            LeaderboardEntry(
                suite_id=submission.suite_id, submission=submission, run=run, **columns, **summary, **stats
            )
        )
    _entries_upsert(entries)
    for suite_id in sorted(suite_ids):
        suite_ranks_refresh(suite_id)
    return len(entries)


def _entries_upsert(entries: list[LeaderboardEntry]) -> None:
    """Insert ``entries``, or update the entry of their submission where there is one: bulk_create with
    update_conflicts, through a COPY into a temporary table (10,000 rows in a second, not in ten)."""
    table = LeaderboardEntry._meta.db_table
    fields = [f for f in LeaderboardEntry._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(f.column for f in fields)  # type: ignore[misc]  # concrete fields: each has a column
    updates = ", ".join(f"{f.column} = EXCLUDED.{f.column}" for f in fields if f.name != "submission")
    as_json = [isinstance(f, JSONField) for f in fields]  # the rest are numbers, text, dates, arrays: as they are
    now = timezone.now()

    def rows() -> Iterator[list[Any]]:
        for entry in entries:
            entry.updated_at = now
            values = [getattr(entry, f.attname) for f in fields]
            yield [json.dumps(v) if j else v for v, j in zip(values, as_json, strict=True)]

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE entries_upsert ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        rows_copy(table="entries_upsert", columns=[f.column for f in fields], rows=rows())  # type: ignore[misc]  # as above
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM entries_upsert "
            f"ON CONFLICT (submission_id) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE entries_upsert")


@transaction.atomic
def suite_ranks_refresh(suite_id: int) -> None:
    """Number the suite's unflagged, comparable submissions by average and by normalised average (ties share a
    rank) and give each its rank band; references, flagged and not comparable models have none. Serialised per
    suite by a lock on the suite's row. Call it after any change to a suite's entries: it also bumps the suite's
    RankingVersion."""
    Suite.objects.select_for_update().filter(pk=suite_id).exists()
    table = LeaderboardEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} e SET rank = r.rank, rank_norm = r.rank_norm
            FROM (
                SELECT id,
                       CASE WHEN ranked THEN rank() OVER (PARTITION BY ranked ORDER BY average DESC NULLS LAST) END
                           AS rank,
                       CASE WHEN ranked THEN rank() OVER (PARTITION BY ranked ORDER BY average_norm DESC NULLS LAST) END
                           AS rank_norm
                FROM (SELECT id, average, average_norm, NOT is_reference AND flag_id IS NULL AND comparable AS ranked
                      FROM {table} WHERE suite_id = %s) s
            ) r
            WHERE e.id = r.id AND (e.rank IS DISTINCT FROM r.rank OR e.rank_norm IS DISTINCT FROM r.rank_norm)
            """,
            [suite_id],
        )
        _bands_refresh(cursor, suite_id)
        # Pages cached under the previous version are not served again.
        cursor.execute(
            f"""
            INSERT INTO {RankingVersion._meta.db_table} (suite_id, version, changed_at) VALUES (%s, 1, now())
            ON CONFLICT (suite_id) DO UPDATE SET version = EXCLUDED.version + {RankingVersion._meta.db_table}.version,
                                                 changed_at = now()
            """,
            [suite_id],
        )


def _bands_refresh(cursor: CursorWrapper, suite_id: int) -> None:
    """Each ranked model's band among the suite's ranked models, on the intervals of their averages; the rest
    have none. Only rows whose band changes are written."""
    table = LeaderboardEntry._meta.db_table
    cursor.execute(
        f"SELECT id, average_ci_low, average_ci_high, rank_best, rank_worst, rank IS NOT NULL "
        f"AND average_ci_low IS NOT NULL FROM {table} WHERE suite_id = %s",
        [suite_id],
    )
    rows = cursor.fetchall()
    ranked = [row for row in rows if row[5]]
    bands = dict(
        zip([row[0] for row in ranked], statistics.rank_bands([(row[1], row[2]) for row in ranked]), strict=True)
    )
    changed = [
        (pk, *band) for pk, _, _, best, worst, _ in rows if (band := bands.get(pk, (None, None))) != (best, worst)
    ]
    if changed:
        ids, best, worst = zip(*changed, strict=True)
        cursor.execute(
            f"UPDATE {table} e SET rank_best = b.best, rank_worst = b.worst "
            f"FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS b(id, best, worst) WHERE e.id = b.id",
            [list(ids), list(best), list(worst)],
        )


@transaction.atomic
def entries_refresh_model(model_id: str) -> int:
    """Recompute what the ranking shows about a model (hub facts, type, flags) in all its entries.

    Call it whenever a flag on the model is moderated or its submission's facts change.
    """
    flag = _upheld_flag(model_id)
    entries = LeaderboardEntry.objects.select_for_update(of=("self",)).filter(model_id=model_id, is_reference=False)
    count, suites = 0, set()
    for entry in entries.select_related("submission"):
        assert entry.submission is not None  # not a reference entry
        for field, value in _submission_columns(entry.submission, flag).items():
            setattr(entry, field, value)
        entry.save()
        count += 1
        suites.add(entry.suite_id)
    for suite_id in sorted(suites):
        suite_ranks_refresh(suite_id)
    return count
