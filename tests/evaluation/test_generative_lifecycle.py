"""A generative run stopped mid-generation keeps the lifecycle's guarantees: cancelled, its harness's whole
process group is gone and nothing is stored; its cluster killed, the orphaned harness dies, the reaper requeues
the run and one attempt's rows are stored, once. Also: generations longer than the cap are cut, and marked."""

import os
import signal

import psutil
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from evaluation.ingest import GENERATION_CAP, capped, sample_values
from evaluation.models import EvalRun, FailureKind, RunStatus, SampleLog, TaskResult
from pipeline.intake import submission_cancel, submission_submit
from pipeline.lifecycle import REAPER_SCHEDULE
from submissions.models import Status
from tests.conftest import wait_for
from tests.evaluation.helpers import harness_processes
from tests.factories import ModeratorFactory


def _generative_submission(tiny_chat_model, suites):
    return submission_submit(
        user=None,
        model_id=tiny_chat_model[0],
        precision="float32",
        suite=suites["demo-medical-generative"],
        use_chat_template=True,
        think_end_token="</think>",
        review=False,
        check_now=True,
    )


def _generating(run) -> bool:
    return EvalRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING, progress_total__gt=0).exists()


def test_a_generative_run_cancelled_mid_generation_leaves_nothing(start_cluster, tiny_chat_model, suites):
    start_cluster("default", EVAL_BATCH_SIZE="1")  # one generation at a time: cancelled between two of them
    submission = _generative_submission(tiny_chat_model, suites)
    run = submission.runs.get()
    wait_for(lambda: _generating(run), timeout=180, what="the harness to start generating")
    [harness] = harness_processes(run)

    submission_cancel(submission, actor=ModeratorFactory(), note="cancelled mid-generation")
    _, alive = psutil.wait_procs([harness], timeout=15)
    assert not alive
    run.refresh_from_db()
    submission.refresh_from_db()
    assert (run.status, submission.status) == (RunStatus.CANCELLED, Status.CANCELLED)
    assert not TaskResult.objects.filter(run=run).exists() and not SampleLog.objects.filter(run=run).exists()


def test_a_generative_run_whose_cluster_is_killed_mid_generation_is_run_again_once(
    start_cluster, tiny_chat_model, suites
):
    env = {"EVAL_STALE_S": "5", "EVAL_TIMEOUT_S": "300", "Q_TIMEOUT_S": "305", "Q_RETRY_S": "310"}
    call_command("reaper_schedule")
    cluster = start_cluster("default", **env)
    submission = _generative_submission(tiny_chat_model, suites)
    first = submission.runs.get()
    wait_for(lambda: _generating(first), timeout=180, what="the first attempt to start generating")
    harness = harness_processes(first)

    os.killpg(cluster.pid, signal.SIGKILL)
    cluster.wait()
    _, alive = psutil.wait_procs(harness, timeout=15)
    assert not alive, "the orphaned harness kills itself"

    Schedule.objects.filter(name=REAPER_SCHEDULE).update(next_run=timezone.now())
    start_cluster("default", **env)
    second = wait_for(
        lambda: submission.runs.filter(status=RunStatus.FINISHED).first(), timeout=400, what="the second attempt"
    )
    first.refresh_from_db()
    assert (first.status, first.failure_kind) == (RunStatus.FAILED, FailureKind.WORKER_LOST)
    assert set(SampleLog.objects.filter(run__submission=submission).values_list("run", flat=True)) == {second.pk}
    filters = 2  # strict-match and flexible-extract: one row per question and filter
    questions = sum(n["effective"] for n in second.results_file.data["n-samples"].values())
    assert SampleLog.objects.filter(run=second).count() == filters * questions
    assert SampleLog.objects.filter(run=second).exclude(thinking="").count() == filters * questions


def test_a_generation_longer_than_the_cap_is_cut_at_a_character_and_marked():
    long = "é" * GENERATION_CAP  # two bytes each: twice the cap
    text, cut = capped(long)
    assert cut and len(text.encode()) == GENERATION_CAP and long.startswith(text)
    assert capped("The answer is (B).") == ("The answer is (B).", False)
    sample = {
        "resps": [["<answer> " + long]],
        "generation": {"thinking": "x" * (GENERATION_CAP + 1), "prompt_tokens": 7, "thinking_tokens": 3},
    }
    resps, truncated, thinking, prompt_tokens, thinking_tokens, answer_tokens = sample_values(sample)
    assert truncated and len(resps[0][0].encode()) <= GENERATION_CAP and len(thinking) == GENERATION_CAP
    assert (prompt_tokens, thinking_tokens, answer_tokens) == (7, 3, None)
