"""Real django-q2 clusters (``manage.py qcluster`` processes) on the test database."""

import json
import os
import signal

import psutil
from django.core.management import call_command
from django.utils import timezone
from django_q.models import OrmQ, Schedule, Task

from evaluation.models import (
    EvalRun,
    FailureKind,
    ResultsFile,
    RunStatus,
    SampleLog,
    TaskResult,
)
from pipeline.delivery import run_queue
from pipeline.intake import submission_cancel, submission_submit
from pipeline.lifecycle import REAPER_SCHEDULE
from rankings.models import LeaderboardEntry
from submissions.models import Status
from tests.conftest import wait_for
from tests.evaluation.helpers import FINAL, harness_processes, queued_submission
from tests.factories import ModeratorFactory


def _scores_in(results: dict) -> int:
    return sum(
        1
        for values in results["results"].values()
        for key, value in values.items()
        if "," in key and "_stderr," not in key and isinstance(value, (int, float))
    )


def test_a_cluster_killed_mid_run_loses_nothing_and_doubles_nothing(start_cluster, tiny_model, suites):
    # Short heartbeat staleness, and a django-q2 redelivery (retry) that comes during the test.
    env = {"EVAL_STALE_S": "5", "EVAL_TIMEOUT_S": "60", "Q_TIMEOUT_S": "65", "Q_RETRY_S": "70"}
    call_command("reaper_schedule")
    first_cluster = start_cluster("default", **env)
    model_id, _ = tiny_model
    submission = submission_submit(
        user=None,
        model_id=model_id,
        revision="main",
        precision="float32",
        suite=suites["demo-medical"],
        review=False,
        check_now=True,
    )
    first = submission.runs.get()
    wait_for(
        lambda: EvalRun.objects.filter(pk=first.pk, status=RunStatus.RUNNING, progress_total__gt=0).exists(),
        timeout=180,
        what="the first attempt to start asking the model",
    )
    harness = harness_processes(first)
    assert len(harness) == 1

    os.killpg(first_cluster.pid, signal.SIGKILL)  # the cluster, its workers; not the harness (its own session)
    first_cluster.wait()
    _, alive = psutil.wait_procs(harness, timeout=15)
    assert not alive, "the orphaned harness kills itself (and frees its GPU)"

    Schedule.objects.filter(name=REAPER_SCHEDULE).update(next_run=timezone.now())
    start_cluster("default", **env)
    second = wait_for(
        lambda: submission.runs.filter(status=RunStatus.FINISHED).first(),
        timeout=300,
        what="the reaper to requeue the run and the new cluster to finish it",
    )
    wait_for(  # (the finished run's download waits in the checks cluster's queue: none runs here)
        lambda: not OrmQ.objects.filter(key="default").exists(),
        timeout=180,
        what="django-q2 to redeliver the killed delivery",
    )

    first.refresh_from_db()
    submission.refresh_from_db()
    assert (first.status, first.failure_kind, first.attempt) == (RunStatus.FAILED, FailureKind.WORKER_LOST, 1)
    assert "requeued as attempt 2" in first.failure_reason
    assert second.attempt == 2 and submission.runs.count() == 2
    assert submission.status == Status.FINISHED
    assert list(submission.events.values_list("to_status", flat=True)) == [
        Status.CHECKING,
        Status.QUEUED,
        Status.RUNNING,
        Status.QUEUED,
        Status.RUNNING,
        Status.FINISHED,
    ]

    # One set of rows, all of the finished attempt's.
    results = ResultsFile.objects.get(run=second).data
    assert TaskResult.objects.filter(run__submission=submission).count() == _scores_in(results)
    assert set(TaskResult.objects.filter(run__submission=submission).values_list("run", flat=True)) == {second.pk}
    expected_samples = sum(n["effective"] for n in results["n-samples"].values())
    assert SampleLog.objects.filter(run__submission=submission).count() == expected_samples
    assert SampleLog.objects.filter(run=second).count() == expected_samples
    assert [entry.run_id for entry in LeaderboardEntry.objects.filter(submission=submission)] == [second.pk]

    # The killed delivery came again, and did nothing.
    [redelivered] = Task.objects.filter(name=f"run-{first.pk}")
    assert (
        redelivered.success and redelivered.result == f"delivery for run {first.pk}: nothing queued on cluster default"
    )
    assert Task.objects.get(name=f"run-{second.pk}").result == "finished"


def test_cancel_kills_the_harness_process_group(start_cluster, tiny_model, suites):
    start_cluster("default")
    model_id, _ = tiny_model
    submission = submission_submit(
        user=None,
        model_id=model_id,
        revision="main",
        precision="float32",
        suite=suites["demo-medical"],
        review=False,
        check_now=True,
    )
    run = submission.runs.get()
    [harness] = wait_for(lambda: harness_processes(run), timeout=120, what="the harness to start")

    submission_cancel(submission, actor=ModeratorFactory(), note="cancelled by a moderator")
    _, alive = psutil.wait_procs([harness], timeout=15)
    assert not alive
    assert not [p for p in psutil.process_iter() if _pgid(p) == harness.pid], "the whole process group is gone"
    task = wait_for(lambda: Task.objects.filter(name=f"run-{run.pk}").first(), timeout=30, what="the job to end")
    assert task.result == "stopped: the run was cancelled or given up"

    run.refresh_from_db()
    submission.refresh_from_db()
    assert (run.status, submission.status) == (RunStatus.CANCELLED, Status.CANCELLED)
    assert not TaskResult.objects.filter(run=run).exists() and not SampleLog.objects.filter(run=run).exists()


def _pgid(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except (ProcessLookupError, PermissionError):
        return None


def test_a_run_goes_to_the_cluster_that_fits_and_a_worker_hands_on_what_does_not(
    start_cluster, tiny_model, suites, settings
):
    # The hosts know their GPUs: the tiny model (270,912 float32 parameters: 0.0012 GiB with the margin)
    # does not fit "small", it fits "big".
    hosts = {"EVAL_CLUSTERS": json.dumps({"small": {"gpu_gib": 0.001}, "big": {"gpu_gib": 0.01}})}
    small, big = start_cluster("small", **hosts), start_cluster("big", **hosts)
    # The web process still believes "small" holds 0.005 GiB, so it routes the run there.
    settings.EVAL_CLUSTERS = {"small": {"gpu_gib": 0.005}, "big": {"gpu_gib": 0.01}}
    model_id, sha = tiny_model
    submission = queued_submission(model_id, sha, suites["demo-medical"], facts={"num_params": 270_912})
    run = run_queue(submission)
    assert run.cluster == "small" and round(run.memory_gib, 5) == 0.00121

    run = wait_for(lambda: EvalRun.objects.filter(pk=run.pk, status__in=FINAL).first(), 240, "the run to end")
    assert run.status == RunStatus.FINISHED, run.failure_reason
    assert run.cluster == "big"
    worker_pid = int(run.worker.rsplit(":", 1)[1])
    assert worker_pid in [p.pid for p in psutil.Process(big.pid).children(recursive=True)]
    assert worker_pid not in [p.pid for p in psutil.Process(small.pid).children(recursive=True)]
    assert submission.events.filter(to_status=Status.RUNNING, note__endswith="(big)").exists()
    # The job marks the run finished before it returns; the cluster's monitor saves its Task row just after.
    deliveries = Task.objects.filter(name=f"run-{run.pk}")
    wait_for(lambda: deliveries.count() == 2, timeout=30, what="both deliveries' results to be saved")
    assert sorted(deliveries.values_list("result", flat=True)) == [
        f"delivery for run {run.pk}: nothing queued on cluster small",
        "finished",
    ]
