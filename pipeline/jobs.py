"""The job a django-q2 worker runs: ``execute_run(run_id)``.

A delivery claims the best queued run of this host's cluster (SELECT ... FOR UPDATE SKIP
LOCKED), runs the harness in a spawned child process (its own process group, so it can be
killed whole), keeps the run's heartbeat and progress while it works, then stores
everything in one transaction. django-q2 delivers at least once: a second delivery finds
the run claimed or done, and runs the next queued run or nothing.
"""

import json
import shutil
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError

from evaluation.ingest import HarnessOutputError, harness_output_find
from evaluation.models import EvalRun, FailureKind
from evaluation.record import record_build
from evaluation.routing import Cluster, this_cluster
from evaluation.services import run_heartbeat, run_work_dir
from evaluation.worker import (
    HARNESS,
    PREFETCH,
    child_process,
    harness_failure,
    harness_spec,
    kill,
    log_tail,
    read_progress,
    refusal,
    suite_timeout_s,
)
from leaderboard.services import IncompleteRunError
from pipeline.lifecycle import run_fail, run_finish, run_start


def execute_run(run_id: int) -> str:
    """The django-q2 task. ``run_id`` is the run whose queueing sent this delivery; the delivery
    runs the best queued run of this host's cluster, which honours priorities."""
    cluster = this_cluster()
    run = run_start(cluster=cluster)
    if run is None:
        return f"delivery for run {run_id}: nothing queued on cluster {cluster.name}"
    return run_execute(run, cluster)


def execute_run_now(run_id: int) -> str:
    """Run this very run in this process (``manage.py evaluate --sync``), if it is still queued."""
    cluster = this_cluster()
    run = run_start(cluster=cluster, run_id=run_id)
    if run is None:
        return f"run {run_id} is not queued here: nothing to do"
    return run_execute(run, cluster)


def run_execute(run: EvalRun, cluster: Cluster) -> str:
    """Run a claimed run to its end: FINISHED, FAILED with a reason, or stopped when cancelled."""
    reason = refusal(run, cluster)
    if reason:
        run_fail(run, FailureKind.REFUSED, reason)
        return "refused"

    work_dir = run_work_dir(run)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    log_path = work_dir / "harness.log"
    spec = harness_spec(run, cluster, work_dir)
    (work_dir / "spec.json").write_text(json.dumps(spec, indent=2))
    timeout_s = suite_timeout_s(run)

    started = time.monotonic()
    with open(log_path, "wb") as log:
        for module in (PREFETCH, HARNESS):  # the datasets into the cache, then the harness, offline and sandboxed
            child_started = time.monotonic()
            child = subprocess.Popen(
                **child_process(module, run, work_dir),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                while True:
                    try:
                        returncode = child.wait(timeout=settings.EVAL_HEARTBEAT_S)
                        break
                    except subprocess.TimeoutExpired:
                        if not run_heartbeat(run, read_progress(Path(spec["progress_path"]))):
                            kill(child)
                            return "stopped: the run was cancelled or given up"
                        if time.monotonic() - started > timeout_s:
                            kill(child)
                            run_fail(
                                run, FailureKind.TIMEOUT, f"timed out after {timeout_s} s", log_tail=log_tail(log_path)
                            )
                            return "timed out"
            except BaseException:
                kill(child)
                raise
            if returncode != 0:
                break
    duration = time.monotonic() - child_started

    tail = log_tail(log_path)
    if returncode != 0:
        kind, detail = harness_failure(returncode, Path(spec["error_path"]))
        run_fail(run, kind, detail, log_tail=tail)
        return "failed"
    run_heartbeat(run, read_progress(Path(spec["progress_path"])))
    try:
        output = harness_output_find(Path(spec["output_dir"]))
        finished = run_finish(run, output, record_build(run.submission, spec, output.results, duration, run=run))
    except (HarnessOutputError, IncompleteRunError, DatabaseError) as exc:
        run_fail(run, FailureKind.HARNESS, f"its output could not be stored: {exc}", log_tail=tail)
        return "failed"
    shutil.rmtree(work_dir, ignore_errors=True)
    return "finished" if finished else "stopped: the run was cancelled or given up"
