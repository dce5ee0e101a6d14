"""A ranking's intervals of an entry, as the ranking shows its scores (raw or normalised, the average over every task
or over the visible ones): what its page, its exports and the API give."""

from catalogue.models import SuiteTask
from rankings.filters import RankingOptions, score_field
from rankings.services import score_normalise
from rankings.statistics import average_interval


def at_index(values: list, index: int):
    return values[index] if index < len(values) else None


def row_intervals(entry, visible: list[tuple[int, SuiteTask]], options: RankingOptions) -> tuple:
    """The stored intervals of ``entry`` as a ranking shows its scores: ({task: [low, high]}, the average's
    [low, high]). Normalised scores map each end of a task's interval (the rescaling is monotone) and scale its
    standard error; an average over the visible tasks or of normalised scores gets the delta-method interval
    of the stored standard errors, as the stored average does. ``entry`` carries the ranking's score columns."""
    ci: dict[str, list[float] | None] = {}
    parts = []
    for i, t in visible:
        low, high, se, score = (
            at_index(entry.ci_low, i),
            at_index(entry.ci_high, i),
            at_index(entry.se, i),
            getattr(entry, score_field(i)),
        )
        if low is None or score is None:
            ci[t.task] = None
            continue
        if options.normalised:  # the score shown is normalised already
            low, high = score_normalise(low, t.choices), score_normalise(high, t.choices)
            se = se / (1 - 1 / t.choices) if t.choices and t.choices >= 2 else se
        ci[t.task] = [low, high]
        parts.append((score, se * se))
    if not options.normalised and not options.visible_average:
        average = entry.average_ci
    elif parts and len(parts) == len(visible):
        average = list(average_interval(parts) or ())  # parts is not empty: never None
    else:
        average = None
    return ci, average
