"""Both scorings of one model side by side: per dataset, its log-likelihood (multiple-choice) accuracy and its
generative accuracy, each with a Wilson interval, and the paired difference (generative minus log-likelihood)
over the questions both runs answered, matched by document hash: the "format gap". A generative suite's task
``X_generative`` is scored on the dataset of the multiple-choice task ``X``."""

from dataclasses import dataclass

from evaluation.models import SampleLog, Scoring
from leaderboard.statistics import paired_difference, wilson_interval

GENERATIVE_SUFFIX = "_generative"


@dataclass
class ScoringGap:
    name: str  # the dataset's column name
    multiple_choice: float
    multiple_choice_ci: tuple[float, float]
    generative: float
    generative_ci: tuple[float, float]
    gap: dict | None  # paired_difference: diff, ci, n


def _correct_by_doc(run_id: int, task) -> dict[str, float]:
    rows = SampleLog.objects.filter(run_id=run_id, task=task.task, filter=task.metric_filter)
    found = {}
    for doc_hash, metrics in rows.values_list("doc_hash", "metrics"):
        value = (metrics or {}).get(task.metric)
        if isinstance(value, (int, float)):
            found[doc_hash] = float(value)
    return found


def format_gaps(rankings: list) -> list[ScoringGap]:
    """The datasets a model has both scorings of, from its ranked entries (selectors.model_rankings)."""
    multiple_choice, generative = {}, {}
    for ranked in rankings:
        for score in ranked.scores:
            task = score.suite_task
            if task.scoring == Scoring.GENERATIVE and task.task.endswith(GENERATIVE_SUFFIX):
                generative.setdefault(task.task.removesuffix(GENERATIVE_SUFFIX), (ranked.entry.run_id, task))
            elif task.scoring == Scoring.MULTIPLE_CHOICE:
                multiple_choice.setdefault(task.task, (ranked.entry.run_id, task))
    gaps = []
    for name, (mc_run, mc_task) in multiple_choice.items():
        if name not in generative or mc_run is None:
            continue
        gen_run, gen_task = generative[name]
        mc, gen = _correct_by_doc(mc_run, mc_task), _correct_by_doc(gen_run, gen_task)
        if not mc or not gen:
            continue
        both = sorted(mc.keys() & gen.keys())
        gaps.append(
            ScoringGap(
                name=mc_task.name,
                multiple_choice=sum(mc.values()) / len(mc),
                multiple_choice_ci=wilson_interval(sum(mc.values()), len(mc)),
                generative=sum(gen.values()) / len(gen),
                generative_ci=wilson_interval(sum(gen.values()), len(gen)),
                gap=paired_difference([gen[doc] - mc[doc] for doc in both]),
            )
        )
    return gaps
