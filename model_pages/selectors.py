"""A model's page: its submissions and runs, its ranked entries with each task's score, stderr, interval and
the suite's median."""

from dataclasses import dataclass

from catalogue.models import SuiteTask
from evaluation.models import TaskResult
from rankings.intervals import at_index
from rankings.models import LeaderboardEntry
from rankings.selectors import suite_medians
from submissions.models import ModelSubmission


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
    """Every submission of a model with its runs, newest first (empty: the model was never submitted)."""
    return list(
        ModelSubmission.objects.filter(model_id=model_id)
        .select_related("suite")
        .prefetch_related("runs")
        .order_by("-created_at")
    )


def model_rankings(model_id: str) -> list[RankedEntry]:
    """The model's ranked entries, each with per-task score, stderr and the suite's median."""
    entries = list(
        LeaderboardEntry.objects.filter(model_id=model_id, is_reference=False)
        .select_related("suite", "flag")
        .order_by("suite__position", "-average")
    )
    results: dict[tuple[int | None, str, str, str], TaskResult] = {
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
