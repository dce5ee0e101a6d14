"""The job a django-q2 worker runs: ``delivery_handle(run_id)``.

A delivery claims the best queued run of this host's cluster (SELECT ... FOR UPDATE SKIP
LOCKED), runs the harness in a spawned child process (its own process group, so it can be
killed whole), keeps the run's heartbeat and progress while it works, then stores
everything in one transaction. django-q2 delivers at least once: a second delivery finds
the run claimed or done, and runs the next queued run or nothing.

The task was ``pipeline.jobs.execute_run`` before: a delivery queued under that name before an upgrade fails in
django-q2 (no such function), and the reaper's next round (evaluation.services.runs_redeliver) sends its run a new one.
"""

import json
import logging
import shutil
import subprocess
import time
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError

from evaluation.ingest import HarnessOutputError, harness_output_find
from evaluation.models import EvalRun, FailureKind
from evaluation.outage import OUTAGE_ERRORS, connection_reset, with_retries
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
from pipeline.lifecycle import run_fail, run_finish, run_start
from rankings.services import IncompleteRunError

log = logging.getLogger(__name__)


def delivery_handle(run_id: int) -> str:
    """The django-q2 task. ``run_id`` is the run whose queueing sent this delivery; the delivery
    runs the best queued run of this host's cluster, which honours priorities."""
    cluster = this_cluster()
    run = run_start(cluster=cluster)
    if run is None:
        return f"delivery for run {run_id}: nothing queued on cluster {cluster.name}"
    return run_evaluate(run, cluster)


def run_evaluate_now(run_id: int) -> str:
    """Run this very run in this process (``manage.py evaluate --sync``), if it is still queued."""
    cluster = this_cluster()
    run = run_start(cluster=cluster, run_id=run_id)
    if run is None:
        return f"run {run_id} is not queued here: nothing to do"
    return run_evaluate(run, cluster)


def run_evaluate(run: EvalRun, cluster: Cluster) -> str:
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
                wait_s, misses = settings.EVAL_HEARTBEAT_S, 0
                while True:
                    try:
                        returncode = child.wait(timeout=wait_s)
                        break
                    except subprocess.TimeoutExpired:
                        alive = heartbeat(run, Path(spec["progress_path"]))
                        if alive is False:
                            kill(child)
                            return "stopped: the run was cancelled or given up"
                        # While the database is out the child goes on, and the heartbeat is tried again after
                        # 1, 2, 4, ... seconds, up to EVAL_HEARTBEAT_S.
                        misses = 0 if alive else misses + 1
                        wait_s = (
                            min(2.0 ** (misses - 1), settings.EVAL_HEARTBEAT_S) if misses else settings.EVAL_HEARTBEAT_S
                        )
                        if time.monotonic() - started > timeout_s:
                            kill(child)
                            write(
                                lambda: run_fail(
                                    run,
                                    FailureKind.TIMEOUT,
                                    f"timed out after {timeout_s} s",
                                    log_tail=log_tail(log_path),
                                ),
                                f"run {run.pk}: failing it (timeout)",
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
        write(lambda: run_fail(run, kind, detail, log_tail=tail), f"run {run.pk}: failing it")
        return "failed"
    heartbeat(run, Path(spec["progress_path"]))
    try:
        output = harness_output_find(Path(spec["output_dir"]))
        record = record_build(run.submission, spec, output.results, duration, run=run)
        # One transaction: tried again through an outage, it stores everything once or nothing.
        finished = write(lambda: run_finish(run, output, record), f"run {run.pk}: storing its results")
    except OUTAGE_ERRORS:
        raise  # still out after EVAL_STALE_S: the run keeps no heartbeat, and the reaper requeues it
    except (HarnessOutputError, IncompleteRunError, DatabaseError) as exc:
        reason = f"its output could not be stored: {exc}"
        write(lambda: run_fail(run, FailureKind.HARNESS, reason, log_tail=tail), f"run {run.pk}: failing it")
        return "failed"
    shutil.rmtree(work_dir, ignore_errors=True)
    return "finished" if finished else "stopped: the run was cancelled or given up"


def heartbeat(run: EvalRun, progress_path: Path) -> bool | None:
    """Store the run's heartbeat and progress: True, or False when it is no longer RUNNING (the worker stops),
    or None while the database is out (the worker goes on, and tries again)."""
    try:
        return run_heartbeat(run, read_progress(progress_path))
    except OUTAGE_ERRORS as error:
        connection_reset()
        log.warning("run %s: no heartbeat stored, the database is unavailable (%s)", run.pk, error)
        return None


def write(step, what: str):
    """A run's closing write, retried with backoff through a database outage of up to EVAL_STALE_S (the reaper
    requeues a run whose worker has been silent that long)."""
    return with_retries(step, what=what, give_up_s=settings.EVAL_STALE_S)
