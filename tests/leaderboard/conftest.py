"""Ranked models made the way the platform makes them: a submission, a finished run with its
TaskResults (and, where a test needs them, logged samples), then leaderboard.services.entry_refresh."""

from datetime import timedelta

import pytest
from django.utils import timezone

from evaluation.models import EvalRun, RunStatus, SampleLog, TaskResult
from leaderboard.services import entry_refresh
from submissions.models import ModelSubmission, Status


def rank_model(suite, model_id, scores, *, days_ago=0, precision="bfloat16", model_type="pretrained",
               weight_type="Original", **facts):  # fmt: skip
    """Rank ``model_id`` on ``suite`` with ``scores`` ({task: value}, every suite task). Returns the entry."""
    submission = ModelSubmission.objects.create(
        model_id=model_id,
        commit_sha=f"{abs(hash(model_id)) % 16**40:040x}",
        precision=precision,
        weight_type=weight_type,
        model_type=model_type,
        suite=suite,
        status=Status.FINISHED,
        facts={"model_id": model_id, "commit_sha": "", **facts},
    )
    created = timezone.now() - timedelta(days=days_ago)
    ModelSubmission.objects.filter(pk=submission.pk).update(created_at=created)
    submission.created_at = created
    run = EvalRun.objects.create(submission=submission, status=RunStatus.FINISHED, finished_at=timezone.now(),
                                 record={"commands": [f"lm_eval --model hf --model_args pretrained={model_id}"]})  # fmt: skip
    for suite_task in suite.tasks.all():
        TaskResult.objects.create(
            run=run, task=suite_task.task, metric=suite_task.metric, metric_filter=suite_task.metric_filter,
            value=scores[suite_task.task], stderr=0.01,
        )  # fmt: skip
    return entry_refresh(run)


def uniform(suite, value):
    return {t.task: value for t in suite.tasks.all()}


def log_sample(run, task, doc_id, *, question, choices, target, lls, metric="acc"):
    """A sample as lm-eval logs a loglikelihood multiple-choice request (see evaluation.ingest)."""
    prompt = f"Question: {question}\nAnswer:"
    best = max(range(len(lls)), key=lambda i: (lls[i], -i))
    return SampleLog.objects.create(
        run=run, task=task, doc_id=doc_id, doc={"question": question, "choices": choices, "answer": target},
        arguments={f"gen_args_{i}": {"arg_0": prompt, "arg_1": f" {c}"} for i, c in enumerate(choices)},
        target=str(target), resps=[[[str(ll), "False"]] for ll in lls], filtered_resps=[[str(ll), "False"] for ll in lls],
        metrics={metric: 1.0 if best == target else 0.0}, doc_hash="", prompt_hash="",
    )  # fmt: skip


@pytest.fixture
def demo(suites):
    return suites["demo-medical"]
