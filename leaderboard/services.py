"""Writes to the denormalised ranking."""

from django.db import transaction

from evaluation.models import EvalRun
from leaderboard.models import LeaderboardEntry


class IncompleteRunError(ValueError):
    """A finished run lacks a score its suite ranks by."""


@transaction.atomic
def entry_refresh(run: EvalRun) -> LeaderboardEntry:
    """Rank a finished run's submission by its suite's task scores (mean of all of them)."""
    submission = run.submission
    suite_tasks = list(submission.suite.tasks.all())
    found = {
        (r.task, r.metric, r.metric_filter): r.value
        for r in run.results.filter(task__in=[t.task for t in suite_tasks])
    }
    scores = {}
    for suite_task in suite_tasks:
        key = (suite_task.task, suite_task.metric, suite_task.metric_filter)
        if key not in found:
            raise IncompleteRunError(
                f"the harness reported no {suite_task.metric} ({suite_task.metric_filter}) for {suite_task.task}"
            )
        scores[suite_task.task] = found[key]
    entry, _ = LeaderboardEntry.objects.update_or_create(
        submission=submission,
        defaults={
            "suite": submission.suite,
            "run": run,
            "model_id": submission.model_id,
            "commit_sha": submission.commit_sha,
            "precision": submission.precision,
            "scores": scores,
            "average": sum(scores.values()) / len(scores),
            "submitted_at": submission.created_at,
        },
    )
    return entry
