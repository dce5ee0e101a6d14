"""Every write to runs, results and suites."""

import socket
import os
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from evaluation.ingest import HarnessOutput, results_ingest
from evaluation.models import EvalRun, RunStatus, Suite, SuiteTask
from leaderboard.services import entry_refresh
from submissions.models import ModelSubmission, Status
from submissions.services import submission_transition

SUITES_DIR = Path(__file__).resolve().parent / "suites"


class SuiteFileError(ValueError):
    pass


@transaction.atomic
def suite_load(path: Path, *, position: int = 0) -> Suite:
    """Create or update a suite from its YAML file; tasks no longer listed are removed."""
    try:
        data = yaml.safe_load(Path(path).read_text())
        slug, tasks = data["slug"], data["tasks"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise SuiteFileError(f"{path}: not a suite file ({exc})") from exc
    suite, _ = Suite.objects.update_or_create(
        slug=slug,
        defaults={
            "name": data.get("name", slug),
            "description": data.get("description", ""),
            "task_paths": data.get("task_paths") or [],
            "position": position,
        },
    )
    for index, entry in enumerate(tasks):
        try:
            SuiteTask.objects.update_or_create(
                suite=suite,
                task=entry["task"],
                defaults={
                    "name": entry.get("name", entry["task"]),
                    "num_fewshot": entry.get("num_fewshot", 0),
                    "metric": entry.get("metric", "acc"),
                    "metric_filter": entry.get("filter", "none"),
                    "choices": entry.get("choices"),
                    "position": index,
                },
            )
        except (KeyError, TypeError) as exc:
            raise SuiteFileError(f"{path}: task entry {index} is malformed ({exc})") from exc
    suite.tasks.exclude(task__in=[entry["task"] for entry in tasks]).delete()
    return suite


def suites_load_all() -> list[Suite]:
    return [suite_load(path, position=i) for i, path in enumerate(sorted(SUITES_DIR.glob("*.yaml")))]


@transaction.atomic
def run_enqueue(submission: ModelSubmission) -> EvalRun:
    """A new attempt for a QUEUED submission, handed to the cluster once committed."""
    run = EvalRun.objects.create(submission=submission)
    transaction.on_commit(lambda: async_task("evaluation.jobs.execute_run", run.pk, task_name=f"run-{run.pk}"))
    return run


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@transaction.atomic
def run_claim(run_id: int) -> EvalRun | None:
    """Take a QUEUED run for this worker; None if it is gone, taken or already done."""
    run = (
        EvalRun.objects.select_for_update(skip_locked=True)
        .select_related("submission__suite")
        .filter(pk=run_id, status=RunStatus.QUEUED)
        .first()
    )
    if run is None:
        return None
    now = timezone.now()
    run.status, run.worker, run.started_at, run.heartbeat_at = RunStatus.RUNNING, worker_name(), now, now
    run.save(update_fields=["status", "worker", "started_at", "heartbeat_at"])
    submission_transition(run.submission, Status.RUNNING, note=f"run {run.pk} started on {run.worker}")
    return run


def run_heartbeat(run: EvalRun) -> bool:
    """Mark the run alive; False when it is no longer RUNNING (cancelled, or failed by the reaper)."""
    return EvalRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(heartbeat_at=timezone.now()) == 1


@transaction.atomic
def run_cancel(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """Cancel a queued or running submission. A worker running it sees this at its next heartbeat and
    kills the harness's process group."""
    submission_transition(submission, Status.CANCELLED, actor=actor, note=note or "cancelled")
    EvalRun.objects.filter(submission=submission, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), failure_reason=note or "cancelled"
    )


@transaction.atomic
def run_finish(run: EvalRun, output: HarnessOutput, record: dict) -> None:
    """Store results and samples, finish the run and rank the submission: all or nothing."""
    run = EvalRun.objects.select_for_update().select_related("submission__suite").get(pk=run.pk)
    if run.status != RunStatus.RUNNING:
        return
    results_ingest(run, output)
    run.status, run.finished_at, run.record = RunStatus.FINISHED, timezone.now(), record
    run.save(update_fields=["status", "finished_at", "record"])
    entry_refresh(run)
    submission_transition(run.submission, Status.FINISHED, note=f"run {run.pk} finished")


@transaction.atomic
def run_fail(run: EvalRun, reason: str, *, log_tail: str = "") -> None:
    run = EvalRun.objects.select_for_update().select_related("submission").get(pk=run.pk)
    if run.status != RunStatus.RUNNING:
        return
    run.status, run.finished_at, run.failure_reason, run.log_tail = RunStatus.FAILED, timezone.now(), reason, log_tail
    run.save(update_fields=["status", "finished_at", "failure_reason", "log_tail"])
    submission = run.submission
    submission.failure_reason = reason
    submission.save(update_fields=["failure_reason", "updated_at"])
    submission_transition(submission, Status.FAILED, note=reason)


def run_work_dir(run: EvalRun) -> Path:
    return Path(settings.EVAL_WORK_DIR) / f"run-{run.pk}"
