"""The sample browser's reads: a run's logged samples of a task, filtered, and each as the browser shows it."""

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.db.models.fields.json import KeyTextTransform

from catalogue.models import SuiteTask
from evaluation.ingest import NO_ANSWER
from evaluation.models import EvalRun, SampleLog


def run_for_samples(run_id: int) -> tuple[EvalRun, list[SuiteTask]] | None:
    """The run with its suite's tasks (None: no such run)."""
    run = EvalRun.objects.select_related("submission__suite").filter(pk=run_id).first()
    return None if run is None else (run, list(run.submission.suite.tasks.all()))


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


def _float(value: Any) -> float | None:
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
