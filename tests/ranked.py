"""Helpers for the tests of the reader apps (rankings, model pages, comparisons, samples, flags, plots): ranked
models made the way the platform makes them: a submission, a finished run with its
TaskResults (and, where a test needs them, logged samples), then rankings.services.entry_refresh."""

from datetime import timedelta

from django.utils import timezone

from evaluation.models import RunStatus
from rankings.services import entry_refresh
from tests.factories import EvalRunFactory, SampleLogFactory, TaskResultFactory


def rank_model(
    suite,
    model_id,
    scores,
    *,
    days_ago=0,
    precision="bfloat16",
    model_type="pretrained",
    weight_type="Original",
    co2_g=None,
    **facts,
):
    """Rank ``model_id`` on ``suite`` with ``scores`` ({task: value}, every suite task). Returns the entry."""
    run = EvalRunFactory(
        status=RunStatus.FINISHED,
        record={
            "commands": [f"lm_eval --model hf --model_args pretrained={model_id}"],
            **({"co2_g": co2_g} if co2_g is not None else {}),
        },
        submission__user=None,
        submission__model_id=model_id,
        submission__precision=precision,
        submission__weight_type=weight_type,
        submission__model_type=model_type,
        submission__suite=suite,
        submission__created_at=timezone.now() - timedelta(days=days_ago),
        **{f"submission__facts__{name}": value for name, value in facts.items()},
    )
    for suite_task in suite.tasks.all():
        TaskResultFactory(
            run=run,
            task=suite_task.task,
            metric=suite_task.metric,
            metric_filter=suite_task.metric_filter,
            value=scores[suite_task.task],
            stderr=0.01,
        )
    return entry_refresh(run)


def uniform(suite, value):
    return {t.task: value for t in suite.tasks.all()}


def log_sample(run, task, doc_id, *, question, choices, target, lls, metric="acc"):
    """A sample as lm-eval logs a loglikelihood multiple-choice request (see evaluation.ingest)."""
    prompt = f"Question: {question}\nAnswer:"
    best = max(range(len(lls)), key=lambda i: (lls[i], -i))
    return SampleLogFactory(
        run=run,
        task=task,
        doc_id=doc_id,
        doc={"question": question, "choices": choices, "answer": target},
        arguments={f"gen_args_{i}": {"arg_0": prompt, "arg_1": f" {c}"} for i, c in enumerate(choices)},
        target=str(target),
        resps=[[[str(ll), "False"]] for ll in lls],
        filtered_resps=[[str(ll), "False"] for ll in lls],
        metrics={metric: 1.0 if best == target else 0.0},
    )


def ranked(suite, model_id, score, *, n=100, num_fewshot=None, imported=False, stderr=0.02):
    """A finished run scoring ``score`` on every task of ``suite`` over ``n`` questions, ranked by entry_refresh."""
    run = EvalRunFactory(
        status=RunStatus.FINISHED,
        submission__user=None,
        submission__model_id=model_id,
        submission__suite=suite,
        submission__imported=imported,
    )
    for t in suite.tasks.all():
        TaskResultFactory(
            run=run,
            task=t.task,
            metric=t.metric,
            metric_filter=t.metric_filter,
            value=score,
            stderr=stderr,
            n_samples=n,
            num_fewshot=t.num_fewshot if num_fewshot is None else num_fewshot,
        )
    return entry_refresh(run)


def html(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()
