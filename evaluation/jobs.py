"""The worker's part of a run: run a claimed run's harness to its end.

``run_evaluate`` runs the harness in a spawned child process (its own process group, so it can be killed whole),
keeps the run's heartbeat and progress while it works, then hands the output to ``finish`` (pipeline's step that
stores the results, finishes the submission and ranks it, in one transaction), or fails the run and its submission
with the reason. The django-q2 task that claims a run and calls this is pipeline.jobs.delivery_handle.
"""

import json
import logging
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, transaction

from core.errors import DomainError
from evaluation.ingest import HarnessOutput, harness_output_find
from evaluation.models import EvalRun, FailureKind
from evaluation.outage import OUTAGE_ERRORS, connection_reset, with_retries
from evaluation.record import record_build
from evaluation.routing import Cluster
from evaluation.services import run_heartbeat, run_lock_running, run_mark_failed, run_work_dir
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
from submissions.transitions import submission_fail

log = logging.getLogger(__name__)


Finish = Callable[[EvalRun, HarnessOutput, dict], bool]


def run_evaluate(run: EvalRun, cluster: Cluster, *, finish: Finish) -> str:
    """Run a claimed run to its end: FINISHED (``finish`` stores it; False: it is no longer RUNNING), FAILED with a
    reason, or stopped when cancelled."""
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
        finished = write(lambda: finish(run, output, record), f"run {run.pk}: storing its results")
    except OUTAGE_ERRORS:
        raise  # still out after EVAL_STALE_S: the run keeps no heartbeat, and the reaper requeues it
    except (DomainError, DatabaseError) as exc:  # the output unreadable or incomplete, or a row it cannot store
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


@transaction.atomic
def run_fail(run: EvalRun, kind: FailureKind, reason: str = "", *, log_tail: str = "") -> bool:
    """Fail a RUNNING run and its submission, saying why; False when it is no longer RUNNING."""
    locked = run_lock_running(run)
    if locked is None:
        return False
    submission_fail(locked.submission, reason=run_mark_failed(locked, kind, reason, log_tail=log_tail))
    return True
