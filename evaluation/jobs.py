"""The job a django-q2 worker runs: ``execute_run(run_id)``.

A delivery claims the best queued run of this host's cluster (SELECT ... FOR UPDATE SKIP
LOCKED), runs the harness in a spawned child process (its own process group, so it can be
killed whole), keeps the run's heartbeat and progress while it works, then stores
everything in one transaction. django-q2 delivers at least once: a second delivery finds
the run claimed or done, and runs the next queued run or nothing.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError

from evaluation.ingest import HarnessOutputError, harness_output_find
from evaluation.models import EvalRun, FailureKind
from evaluation.record import record_build
from evaluation.routing import Cluster, backend_for, missing_packages, this_cluster
from evaluation.services import (
    Progress,
    run_claim,
    run_fail,
    run_finish,
    run_heartbeat,
    run_work_dir,
)
from leaderboard.services import IncompleteRunError
from submissions.models import WeightType

UNQUANTIZED = ("float16", "bfloat16", "float32")
LOG_TAIL_LINES = 40


def task_paths(run: EvalRun) -> list[str]:
    return [str((Path(settings.BASE_DIR) / p).resolve()) for p in run.submission.suite.task_paths]


def weights_snapshot(submission) -> dict | None:
    """An adapter's or delta's own files, as a local snapshot: lm-eval would fetch them at the base
    model's revision otherwise."""
    if submission.weight_type == WeightType.ORIGINAL:
        return None
    from huggingface_hub import snapshot_download

    path = snapshot_download(submission.model_id, revision=submission.commit_sha)
    return {"model_id": submission.model_id, "revision": submission.commit_sha, "path": path}


def model_args(submission, weights: dict | None = None) -> str:
    """dtype follows the precision; quantized weights compute in float16. Adapter and delta weights load
    on their base model (at the commit the hub checks resolved) through lm-eval's peft= and delta=."""
    dtype = submission.precision if submission.precision in UNQUANTIZED else "float16"
    if weights is None:
        return f"pretrained={submission.model_id},revision={submission.commit_sha},dtype={dtype}"
    option = "peft" if submission.weight_type == WeightType.ADAPTER else "delta"
    base, base_sha = submission.facts["base_model"], submission.facts["base_commit_sha"]
    return f"pretrained={base},revision={base_sha},dtype={dtype},{option}={weights['path']}"


def harness_spec(run: EvalRun, cluster: Cluster, work_dir: Path) -> dict:
    submission = run.submission
    weights = weights_snapshot(submission)
    return {
        "model_args": model_args(submission, weights),
        "weights": weights,
        "backend": backend_for(cluster, submission.precision),
        "quantization": submission.precision if submission.precision in ("8bit", "4bit") else None,
        "tasks": [{"task": t.task, "num_fewshot": t.num_fewshot} for t in submission.suite.tasks.all()],
        "task_paths": task_paths(run),
        "device": settings.EVAL_DEVICE,
        "batch_size": settings.EVAL_BATCH_SIZE,
        "apply_chat_template": submission.use_chat_template,
        "output_dir": str(work_dir / "output"),
        "progress_path": str(work_dir / "progress.json"),
        "error_path": str(work_dir / "error.json"),
        "parent_pid": os.getpid(),
    }


def harness_cwd(run: EvalRun, work_dir: Path) -> Path:
    """lm-eval resolves data_files against the working directory: run where the pack is."""
    paths = task_paths(run)
    return Path(paths[0]) if paths else work_dir


def suite_timeout_s(run: EvalRun) -> int:
    return settings.EVAL_SUITE_TIMEOUTS.get(run.submission.suite.slug, settings.EVAL_TIMEOUT_S)


def refusal(run: EvalRun, cluster: Cluster) -> str:
    """Why this worker cannot run the run at all ("" when it can)."""
    submission = run.submission
    if not cluster.fits(run.memory_gib):
        return (
            f"{submission.model_id} needs about {run.memory_gib:.3g} GiB of GPU memory "
            f"({submission.facts['num_params']:,} parameters in {submission.precision}), more than the largest "
            f"GPU host ({cluster.name}, {cluster.gpu_gib:g} GiB) has"
        )
    missing = missing_packages(submission.precision)
    if missing:
        return f"{submission.precision} weights need {' and '.join(missing)}, which the workers of {cluster.name} lack"
    return ""


def read_progress(path: Path) -> Progress | None:
    try:
        data = json.loads(path.read_text())
        started = data.get("requests_started")
        return Progress(
            stage=str(data["stage"]),
            done=int(data["done"]),
            total=int(data["total"]),
            requests_started=datetime.fromtimestamp(started, tz=timezone.utc) if started else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def harness_failure(returncode: int, error_path: Path) -> tuple[FailureKind, str]:
    """What the child said went wrong, or what its exit status tells."""
    try:
        error = json.loads(error_path.read_text())
        return FailureKind(error["kind"]), str(error["message"])[:2000]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (the host may have run out of memory)" if returncode == -signal.SIGKILL else ""
        return FailureKind.HARNESS, f"the harness was killed by {name}{hint}"
    return FailureKind.HARNESS, f"the harness exited with status {returncode}"


def _tail(path: Path) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])


def _kill(process: subprocess.Popen) -> None:
    """SIGKILL the child's whole process group: every process it started, and so its GPU memory."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def execute_run(run_id: int) -> str:
    """The django-q2 task. ``run_id`` is the run whose queueing sent this delivery; the delivery
    runs the best queued run of this host's cluster, which honours priorities."""
    cluster = this_cluster()
    run = run_claim(cluster=cluster)
    if run is None:
        return f"delivery for run {run_id}: nothing queued on cluster {cluster.name}"
    return run_execute(run, cluster)


def execute_run_now(run_id: int) -> str:
    """Run this very run in this process (``manage.py evaluate --sync``), if it is still queued."""
    cluster = this_cluster()
    run = run_claim(cluster=cluster, run_id=run_id)
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
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR), "HF_HOME": settings.HF_HOME}
    timeout_s = suite_timeout_s(run)

    started = time.monotonic()
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "evaluation.harness", str(work_dir / "spec.json")],
            cwd=harness_cwd(run, work_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            while True:
                try:
                    returncode = child.wait(timeout=settings.EVAL_HEARTBEAT_S)
                    break
                except subprocess.TimeoutExpired:
                    if not run_heartbeat(run, read_progress(Path(spec["progress_path"]))):
                        _kill(child)
                        return "stopped: the run was cancelled or given up"
                    if time.monotonic() - started > timeout_s:
                        _kill(child)
                        run_fail(run, FailureKind.TIMEOUT, f"timed out after {timeout_s} s", log_tail=_tail(log_path))
                        return "timed out"
        except BaseException:
            _kill(child)
            raise
    duration = time.monotonic() - started

    log_tail = _tail(log_path)
    if returncode != 0:
        kind, detail = harness_failure(returncode, Path(spec["error_path"]))
        run_fail(run, kind, detail, log_tail=log_tail)
        return "failed"
    run_heartbeat(run, read_progress(Path(spec["progress_path"])))
    try:
        output = harness_output_find(Path(spec["output_dir"]))
        finished = run_finish(run, output, record_build(run.submission, spec, output.results, duration, run=run))
    except (HarnessOutputError, IncompleteRunError, DatabaseError) as exc:
        run_fail(run, FailureKind.HARNESS, f"its output could not be stored: {exc}", log_tail=log_tail)
        return "failed"
    shutil.rmtree(work_dir, ignore_errors=True)
    return "finished" if finished else "stopped: the run was cancelled or given up"
