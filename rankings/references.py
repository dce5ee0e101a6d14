"""Reference rows: a baseline or a closed model's published scores, entered by staff, shown beside the
ranking and never ranked."""

from django.db import transaction
from django.utils import timezone

from catalogue.models import Suite, SuiteTask
from core.errors import DomainError
from rankings.models import LeaderboardEntry
from rankings.services import scores_summary, suite_ranks_refresh


class RankingError(DomainError):
    """Input staff can fix; ``field`` names the form field at fault (None: the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message, field=field)


def reference_scores_check(suite_tasks: list[SuiteTask], scores: dict) -> None:
    """Raise RankingError unless ``scores`` maps some of the suite's tasks to numbers in [0, 1]."""
    known = [t.task for t in suite_tasks]
    unknown = sorted(str(task) for task in set(scores) - set(known))
    if unknown:
        raise RankingError("scores", f"The suite has no task {', '.join(unknown)}; its tasks are {', '.join(known)}.")
    if not scores:
        raise RankingError("scores", "Give a score for at least one task.")
    for task, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
            raise RankingError("scores", f"The score of {task} must be a number from 0 to 1 (got {value!r}).")


@transaction.atomic
def reference_save(
    *,
    suite: Suite,
    model_id: str,
    scores: dict[str, float],
    reference_source: str = "",
    model_type: str = "",
    params_billions: float | None = None,
    license: str = "",
    num_fewshot: int | None = None,
    scoring: str = "",
    entry: LeaderboardEntry | None = None,
) -> LeaderboardEntry:
    """Create (``entry`` None or unsaved) or update a reference row: shown beside the ranking with its
    published scores, never ranked. ``scores`` maps some or all of the suite's tasks to values in [0, 1];
    a row missing any task has no average. ``num_fewshot`` and ``scoring`` record a setting other than the
    suite's (None, "": the suite's own); a row whose setting differs is marked not comparable."""
    suite_tasks = list(suite.tasks.all())
    reference_scores_check(suite_tasks, scores)
    entry = entry or LeaderboardEntry()
    entry.is_reference, entry.submission, entry.run = True, None, None
    entry.submitted_at = entry.submitted_at or timezone.now()
    entry.suite = suite
    entry.model_id = model_id
    entry.reference_source = reference_source
    entry.model_type = model_type
    entry.params_billions = params_billions
    entry.license = license
    entry.num_fewshot, entry.scoring = num_fewshot, scoring.strip()
    entry.comparable = not entry.scoring and all(num_fewshot in (None, t.num_fewshot) for t in suite_tasks)
    for field, value in scores_summary({k: float(v) for k, v in scores.items()}, suite_tasks).items():
        setattr(entry, field, value)
    entry.save()
    suite_ranks_refresh(suite.pk)
    return entry


@transaction.atomic
def reference_delete(entry: LeaderboardEntry) -> None:
    if not entry.is_reference:
        raise RankingError(None, "Only reference rows are deleted by hand: submissions leave with their runs.")
    suite_id = entry.suite_id
    entry.delete()
    suite_ranks_refresh(suite_id)


def random_baseline_scores(suite: Suite) -> dict[str, float]:
    """What answering at random scores on each of the suite's tasks that has a fixed number of choices."""
    return {t.task: 1 / t.choices for t in suite.tasks.all() if t.choices}
