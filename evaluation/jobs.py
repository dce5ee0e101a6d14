"""The job a django-q2 worker runs: ``execute_run(run_id)``.

The worker claims the run, runs the harness in a spawned child process (its own
process group, so it can be killed whole), keeps the run's heartbeat while it
works, then stores everything in one transaction. A second delivery of the same
run finds it claimed or done and does nothing.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings

from evaluation.ingest import HarnessOutputError, harness_output_find
from evaluation.models import EvalRun, SuiteTask
from evaluation.record import record_build
from evaluation.services import run_claim, run_fail, run_finish, run_heartbeat, run_work_dir
from leaderboard.services import IncompleteRunError

DTYPES = {"float16": "float16", "bfloat16": "bfloat16", "float32": "float32"}
LOG_TAIL_LINES = 40

# (text in the harness log, what the submitter is told); the first match wins.
FAILURES = (
    ("OutOfMemoryError", "out of GPU memory"),
    ("CUDA out of memory", "out of GPU memory"),
    ("DatasetNotFoundError", "dataset unavailable"),
    ("datasets.exceptions", "dataset unavailable"),
    ("HF_DATASETS_OFFLINE", "dataset unavailable"),
    ("from_pretrained", "the model did not load"),
    ("LocalEntryNotFoundError", "the model did not load"),
    ("RepositoryNotFoundError", "the model did not load"),
)


def suite_tasks(run: EvalRun) -> list[SuiteTask]:
    return list(run.submission.suite.tasks.all())


def task_paths(run: EvalRun) -> list[str]:
    return [str((Path(settings.BASE_DIR) / p).resolve()) for p in run.submission.suite.task_paths]


def model_args(run: EvalRun) -> str:
    submission = run.submission
    return f"pretrained={submission.model_id},revision={submission.commit_sha},dtype={DTYPES[submission.precision]}"


def harness_spec(run: EvalRun, output_dir: Path) -> dict:
    return {
        "model_args": model_args(run),
        "tasks": [{"task": t.task, "num_fewshot": t.num_fewshot} for t in suite_tasks(run)],
        "task_paths": task_paths(run),
        "device": settings.EVAL_DEVICE,
        "batch_size": settings.EVAL_BATCH_SIZE,
        "apply_chat_template": run.submission.use_chat_template,
        "output_dir": str(output_dir),
    }


def harness_cwd(run: EvalRun, work_dir: Path) -> Path:
    """lm-eval resolves data_files against the working directory: run where the pack is."""
    paths = task_paths(run)
    return Path(paths[0]) if paths else work_dir


def classify_failure(log: str) -> str:
    kind = next((reason for needle, reason in FAILURES if needle in log), "harness error")
    last = next((line for line in reversed(log.splitlines()) if line.strip()), "")
    return f"{kind}: {last.strip()[:500]}" if last else kind


def _tail(path: Path) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def execute_run(run_id: int) -> str:
    run = run_claim(run_id)
    if run is None:
        return f"run {run_id} is not queued: nothing to do"
    if run.submission.precision not in DTYPES:
        run_fail(run, f"the model did not load: {run.submission.precision} needs bitsandbytes, not on this worker")
        return "failed"

    work_dir = run_work_dir(run)
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    output_dir, log_path = work_dir / "output", work_dir / "harness.log"
    spec = harness_spec(run, output_dir)
    (work_dir / "spec.json").write_text(json.dumps(spec, indent=2))
    env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR), "HF_HOME": settings.HF_HOME}

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
                    if not run_heartbeat(run):
                        _kill(child)
                        return "cancelled"
                    if time.monotonic() - started > settings.EVAL_TIMEOUT_S:
                        _kill(child)
                        run_fail(run, f"timeout: timed out after {settings.EVAL_TIMEOUT_S} s", log_tail=_tail(log_path))
                        return "failed"
        except BaseException:
            _kill(child)
            raise
    duration = time.monotonic() - started

    log_tail = _tail(log_path)
    if returncode != 0:
        run_fail(run, classify_failure(log_tail), log_tail=log_tail)
        return "failed"
    try:
        output = harness_output_find(output_dir)
        run_finish(run, output, record_build(run, spec, output.results, duration))
    except (HarnessOutputError, IncompleteRunError) as exc:
        run_fail(run, f"harness error: {exc}", log_tail=log_tail)
        return "failed"
    shutil.rmtree(work_dir, ignore_errors=True)
    return "finished"
