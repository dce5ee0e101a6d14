"""Both scorings of one model side by side: per dataset, its log-likelihood (multiple-choice) accuracy and its
generative accuracy, each with a Wilson interval, and the paired difference (generative minus log-likelihood)
over the questions both runs answered, matched by document hash: the "format gap". A generative suite's task
``X_generative`` is scored on the dataset of the multiple-choice task ``X``.

The ranking's "Format gap" column is the mean of the datasets' gaps (each dataset weighing the same, as in the
ranking's average) with a normal 95% interval from their standard errors, written on the model's entries (of one
commit and precision) in both suites when either of its runs is ranked."""

import math
from dataclasses import dataclass

from catalogue.models import Scoring, SuiteTask
from evaluation.models import SampleLog
from rankings.models import LeaderboardEntry
from rankings.statistics import Z95, paired_difference, wilson_interval

GENERATIVE_SUFFIX = "_generative"


@dataclass
class ScoringGap:
    name: str  # the dataset's column name
    multiple_choice: float
    multiple_choice_ci: tuple[float, float]
    generative: float
    generative_ci: tuple[float, float]
    gap: dict | None  # paired_difference: diff, ci, n
    runs: tuple[int, int]  # the log-likelihood run's and the generative run's


def _correct_by_doc(run_id: int, task) -> dict[str, float]:
    rows = SampleLog.objects.filter(run_id=run_id, task=task.task, filter=task.metric_filter)
    found = {}
    for doc_hash, metrics in rows.values_list("doc_hash", "metrics"):
        value = (metrics or {}).get(task.metric)
        if isinstance(value, (int, float)):
            found[doc_hash] = float(value)
    return found


def format_gaps(runs: list[tuple[int | None, list[SuiteTask]]]) -> list[ScoringGap]:
    """The datasets a model has both scorings of, from its ranked runs and their suites' tasks (the first run of
    each scoring of a dataset counts)."""
    multiple_choice: dict[str, tuple[int | None, SuiteTask]] = {}
    generative: dict[str, tuple[int | None, SuiteTask]] = {}
    for run_id, suite_tasks in runs:
        for task in suite_tasks:
            if task.scoring == Scoring.GENERATIVE and task.task.endswith(GENERATIVE_SUFFIX):
                generative.setdefault(task.task.removesuffix(GENERATIVE_SUFFIX), (run_id, task))
            elif task.scoring == Scoring.MULTIPLE_CHOICE:
                multiple_choice.setdefault(task.task, (run_id, task))
    gaps = []
    for name, (mc_run, mc_task) in multiple_choice.items():
        if name not in generative or mc_run is None:
            continue
        gen_run, gen_task = generative[name]
        if gen_run is None:
            continue
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
                runs=(mc_run, gen_run),
            )
        )
    return gaps


def overall_gap(gaps: list[ScoringGap]) -> dict | None:
    """The mean of the datasets' paired gaps, with the normal 95% interval of that mean (the datasets' questions are
    disjoint: the variances add): {"diff", "ci"}."""
    found = [g.gap for g in gaps if g.gap]
    if not found:
        return None
    mean = sum(gap["diff"] for gap in found) / len(found)
    variance = sum(((gap["ci"][1] - gap["ci"][0]) / (2 * Z95)) ** 2 for gap in found) / len(found) ** 2
    half = Z95 * math.sqrt(variance)
    return {"diff": mean, "ci": [mean - half, mean + half]}


def entries_format_gap_refresh(entry: LeaderboardEntry) -> None:
    """Write the format gap on ``entry`` and on the model's other entries of its commit and precision."""
    entries = list(
        LeaderboardEntry.objects.filter(
            model_id=entry.model_id,
            commit_sha=entry.commit_sha,
            precision=entry.precision,
            is_reference=False,
            run__isnull=False,
        ).prefetch_related("suite__tasks")
    )
    gaps = [g for g in format_gaps([(e.run_id, list(e.suite.tasks.all())) for e in entries]) if g.gap]
    gap, paired = overall_gap(gaps), {run for g in gaps for run in g.runs}
    for e in entries:
        shown = gap if e.run_id in paired else None
        low, high = shown["ci"] if shown else (None, None)
        if (e.format_gap, e.format_gap_low, e.format_gap_high) != (shown and shown["diff"], low, high):
            LeaderboardEntry.objects.filter(pk=e.pk).update(
                format_gap=shown and shown["diff"], format_gap_low=low, format_gap_high=high
            )
