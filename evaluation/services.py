"""Every write to runs, results and suites."""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.models import Schedule
from django_q.tasks import async_task

from evaluation.ingest import HarnessOutput, results_ingest
from evaluation.models import EvalRun, FailureKind, RunStatus, Suite, SuiteTask
from evaluation.routing import Cluster, memory_need_gib, route
from evaluation.selectors import QUEUE_ORDER
from leaderboard.services import entry_refresh
from submissions.models import ModelSubmission, Status
from submissions.services import submission_transition

log = logging.getLogger(__name__)
SUITES_DIR = Path(__file__).resolve().parent / "suites"
REAPER_SCHEDULE = "evaluation: requeue runs whose worker was lost"


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


def _deliver(run: EvalRun) -> None:
    """Once committed, hand the run's cluster a delivery (django-q2 task). A delivery claims the best
    queued run of its cluster, so deliveries and queued runs only need to match in number."""
    run_id, cluster = run.pk, run.cluster
    transaction.on_commit(
        lambda: async_task("evaluation.jobs.execute_run", run_id, cluster=cluster, task_name=f"run-{run_id}")
    )


def _run_create(submission: ModelSubmission, *, attempt: int) -> EvalRun:
    need = memory_need_gib(submission)
    run = EvalRun.objects.create(submission=submission, attempt=attempt, memory_gib=need, cluster=route(need).name)
    _deliver(run)
    return run


@transaction.atomic
def run_enqueue(submission: ModelSubmission) -> EvalRun:
    """A new attempt for a QUEUED submission, routed to the smallest GPU host that fits it."""
    return _run_create(submission, attempt=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@transaction.atomic
def run_claim(*, cluster: Cluster, run_id: int | None = None) -> EvalRun | None:
    """Take the best QUEUED run of ``cluster`` (highest priority, then oldest), or run ``run_id``
    whatever its cluster; None when there is none, or it is taken or done.

    A run this cluster's GPU cannot hold is handed on to the cluster that fits it. Where none
    fits (this is the largest) it is claimed anyway: the worker fails it with the reason.
    """
    while True:
        queued = EvalRun.objects.select_for_update(skip_locked=True, of=("self",)).filter(status=RunStatus.QUEUED)
        queued = queued.filter(pk=run_id) if run_id is not None else queued.filter(cluster=cluster.name)
        run = queued.select_related("submission__suite").order_by(*QUEUE_ORDER).first()
        if run is None:
            return None
        target = route(run.memory_gib)
        if cluster.fits(run.memory_gib) or target.name == cluster.name:
            break
        log.info("run %s needs %.3g GiB, more than cluster %s has: handed on to %s", run.pk, run.memory_gib, cluster.name, target.name)
        run.cluster = target.name
        run.save(update_fields=["cluster"])
        _deliver(run)
        if run_id is not None:
            return None
    now = timezone.now()
    run.status, run.worker, run.started_at, run.heartbeat_at = RunStatus.RUNNING, worker_name(), now, now
    run.cluster = cluster.name  # already so, unless run_id named a run of another cluster
    run.save(update_fields=["status", "worker", "started_at", "heartbeat_at", "cluster"])
    submission_transition(run.submission, Status.RUNNING, note=f"run {run.pk} started on {run.worker} ({cluster.name})")
    return run


@dataclass(frozen=True)
class Progress:
    """What the harness child last reported."""

    stage: str
    done: int = 0
    total: int = 0
    requests_started: datetime | None = None


def run_heartbeat(run: EvalRun, progress: Progress | None = None) -> bool:
    """Mark the run alive and store its progress; False when it is no longer RUNNING (cancelled, or
    failed by the reaper): the worker must then stop."""
    fields = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields.update(
            progress_stage=progress.stage[:100],
            progress_done=progress.done,
            progress_total=progress.total,
            progress_started_at=progress.requests_started,
        )
    return EvalRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(**fields) == 1


@transaction.atomic
def run_cancel(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """Cancel a queued or running submission. A worker running it sees this at its next heartbeat and
    kills the harness's process group. Locks the runs before the submission, as finishing, failing
    and reaping do (no deadlock with a run being finished: it waits, then finds it finished)."""
    active = EvalRun.objects.select_for_update().filter(
        submission=submission, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
    )
    run_ids = list(active.values_list("pk", flat=True))
    submission_transition(submission, Status.CANCELLED, actor=actor, note=note or "cancelled")
    EvalRun.objects.filter(pk__in=run_ids).update(
        status=RunStatus.CANCELLED, finished_at=timezone.now(), failure_reason=note or "cancelled"
    )


@transaction.atomic
def run_finish(run: EvalRun, output: HarnessOutput, record: dict) -> bool:
    """Store results and samples, finish the run and rank the submission: all or nothing.
    False (and nothing stored) when the run is no longer RUNNING."""
    run = EvalRun.objects.select_for_update(of=("self",)).select_related("submission__suite").get(pk=run.pk)
    if run.status != RunStatus.RUNNING:
        return False
    results_ingest(run, output)
    run.status, run.finished_at, run.record = RunStatus.FINISHED, timezone.now(), record
    run.progress_stage, run.progress_done = "finished", max(run.progress_done, run.progress_total)
    run.save(update_fields=["status", "finished_at", "record", "progress_stage", "progress_done"])
    entry_refresh(run)
    submission_transition(run.submission, Status.FINISHED, note=f"run {run.pk} finished")
    return True


def _fail(run: EvalRun, kind: FailureKind, reason: str, log_tail: str) -> str:
    """Mark a locked RUNNING run FAILED; returns the reason as the submitter reads it."""
    reason = f"{kind.label}: {reason}" if reason else str(kind.label)
    run.status, run.finished_at, run.failure_kind = RunStatus.FAILED, timezone.now(), kind
    run.failure_reason, run.log_tail = reason, log_tail
    run.save(update_fields=["status", "finished_at", "failure_kind", "failure_reason", "log_tail"])
    return reason


def _submission_fail(submission: ModelSubmission, reason: str) -> None:
    ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason=reason)
    submission.failure_reason = reason
    submission_transition(submission, Status.FAILED, note=reason)


@transaction.atomic
def run_fail(run: EvalRun, kind: FailureKind, reason: str = "", *, log_tail: str = "") -> bool:
    """Fail a RUNNING run and its submission, saying why; False when it is no longer RUNNING."""
    run = EvalRun.objects.select_for_update(of=("self",)).select_related("submission").get(pk=run.pk)
    if run.status != RunStatus.RUNNING:
        return False
    _submission_fail(run.submission, _fail(run, kind, reason, log_tail))
    return True


def runs_reap() -> list[int]:
    """Fail every RUNNING run whose heartbeat is older than EVAL_STALE_S (its worker or host was lost)
    and queue a new attempt of its submission, or fail the submission after EVAL_MAX_ATTEMPTS; then
    give every cluster at least as many waiting deliveries as it has queued runs (a delivery django-q2
    gave up on must not leave a run QUEUED for ever; a spare one finds nothing and does nothing).
    Returns the reaped runs. The reaper schedule calls this; so may anyone, any number of times."""
    stale_before = timezone.now() - timedelta(seconds=settings.EVAL_STALE_S)
    stale = EvalRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before)
    reaped = [run_id for run_id in stale.values_list("pk", flat=True) if _run_reap(run_id, stale_before)]
    queued = EvalRun.objects.filter(status=RunStatus.QUEUED).order_by(*QUEUE_ORDER).values_list("cluster", "pk")
    by_cluster: dict[str, list[int]] = {}
    for cluster, run_id in queued:
        by_cluster.setdefault(cluster, []).append(run_id)
    for cluster, run_ids in by_cluster.items():
        waiting = get_broker(cluster).queue_size()
        for run_id in run_ids[waiting:]:
            log.warning("run %s had no delivery waiting on cluster %s: sending one", run_id, cluster)
            async_task("evaluation.jobs.execute_run", run_id, cluster=cluster, task_name=f"run-{run_id}")
    return reaped


@transaction.atomic
def _run_reap(run_id: int, stale_before: datetime) -> bool:
    run = (
        EvalRun.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("submission")
        .filter(pk=run_id, status=RunStatus.RUNNING, heartbeat_at__lt=stale_before)
        .first()
    )
    if run is None:  # it beat, finished or is being finished meanwhile
        return False
    last = timezone.localtime(run.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    lost = f"{run.worker} stopped sending heartbeats (last at {last})"
    if run.attempt < settings.EVAL_MAX_ATTEMPTS:
        _fail(run, FailureKind.WORKER_LOST, f"{lost}; requeued as attempt {run.attempt + 1}", "")
        submission_transition(
            run.submission, Status.QUEUED, note=f"run {run.pk}: worker lost; attempt {run.attempt + 1} queued"
        )
        _run_create(run.submission, attempt=run.attempt + 1)
    else:
        reason = _fail(run, FailureKind.WORKER_LOST, f"{lost}; gave up after {run.attempt} attempts", "")
        _submission_fail(run.submission, reason)
    return True


def reaper_schedule(*, minutes: int = 1, cluster: str | None = None) -> Schedule:
    """Create or update the django-q2 schedule that runs ``runs_reap``. With no cluster it runs on the
    site's default cluster (``manage.py qcluster`` without Q_CLUSTER_NAME)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=REAPER_SCHEDULE,
        defaults={
            "func": "evaluation.services.runs_reap",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
            "cluster": cluster,
        },
    )
    return schedule


@transaction.atomic
def run_import(submission: ModelSubmission, output: HarnessOutput, record: dict) -> EvalRun:
    """Bring in an evaluation the ``lm_eval`` CLI made elsewhere: a pending submission becomes a
    finished run with those results and samples, in one transaction."""
    submission_transition(submission, Status.QUEUED, note="imported from lm_eval results")
    now = timezone.now()
    run = EvalRun.objects.create(
        submission=submission, status=RunStatus.RUNNING, worker="import_results", started_at=now, heartbeat_at=now
    )
    submission_transition(submission, Status.RUNNING, note=f"run {run.pk}: importing lm_eval results")
    run_finish(run, output, record)
    run.refresh_from_db()
    return run


def run_work_dir(run: EvalRun) -> Path:
    return Path(settings.EVAL_WORK_DIR) / f"run-{run.pk}"
