"""Every write to runs and results; the runs' status machine is evaluation.transitions."""

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.tasks import async_task

from evaluation.ingest import HarnessOutput, results_ingest
from evaluation.models import EvalRun, FailureKind, RunEvent, RunStatus
from evaluation.routing import Cluster, memory_need_gib, route
from evaluation.selectors import QUEUE_ORDER
from evaluation.transitions import run_transition
from submissions.models import ModelSubmission

log = logging.getLogger(__name__)


@transaction.atomic
def run_enqueue(submission: ModelSubmission, *, attempt: int = 1, note: str = "") -> EvalRun:
    """A new QUEUED attempt for ``submission``, routed to the smallest GPU host that fits it. Its delivery to a worker
    is pipeline.delivery's (run_queue): the worker's job spans runs, submissions and rankings."""
    need = memory_need_gib(submission)
    run = EvalRun.objects.create(submission=submission, attempt=attempt, memory_gib=need, cluster=route(need).name)
    RunEvent.objects.create(run=run, to_status=RunStatus.QUEUED, note=note or f"attempt {attempt} on {run.cluster}")
    return run


@transaction.atomic
def run_import_start(submission: Any) -> EvalRun:
    """A RUNNING run for results made elsewhere (the ``lm_eval`` CLI), never delivered to a worker."""
    run = EvalRun.objects.create(submission=submission)
    RunEvent.objects.create(run=run, to_status=RunStatus.QUEUED, note="imported")
    now = timezone.now()
    run_transition(
        run,
        RunStatus.RUNNING,
        note="importing lm_eval results",
        worker="import_results",
        started_at=now,
        heartbeat_at=now,
    )
    return run


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@transaction.atomic
def run_claim(*, cluster: Cluster, run_id: int | None = None) -> tuple[EvalRun | None, list[EvalRun]]:
    """Take the best QUEUED run of ``cluster`` (in QUEUE_ORDER: priority, votes, oldest submission), or run ``run_id``
    whatever its cluster: (the run, or None when there is none, or it is taken or done; the runs handed on).

    A run this cluster's GPU cannot hold is handed on to the cluster that fits it (the caller sends that cluster a
    delivery). Where none fits (this is the largest) it is claimed anyway: the worker fails it with the reason.
    """
    handed_on: list[EvalRun] = []
    while True:
        queued = EvalRun.objects.select_for_update(skip_locked=True, of=("self",)).filter(status=RunStatus.QUEUED)
        queued = queued.filter(pk=run_id) if run_id is not None else queued.filter(cluster=cluster.name)
        run = queued.select_related("submission__suite").order_by(*QUEUE_ORDER).first()
        if run is None:
            return None, handed_on
        target = route(run.memory_gib)
        if cluster.fits(run.memory_gib) or target.name == cluster.name:
            break
        log.info(
            "run %s needs %.3g GiB, more than cluster %s has: handed on to %s",
            run.pk,
            run.memory_gib,
            cluster.name,
            target.name,
        )
        run.cluster = target.name
        run.save(update_fields=["cluster"])
        handed_on.append(run)
        if run_id is not None:
            return None, handed_on
    now = timezone.now()
    worker = worker_name()
    run_transition(
        run,
        RunStatus.RUNNING,
        note=f"started on {worker} ({cluster.name})",
        worker=worker,
        started_at=now,
        heartbeat_at=now,
        cluster=cluster.name,  # cluster: run_id may name another's
    )
    return run, handed_on


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
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields.update(
            progress_stage=progress.stage[:100],
            progress_done=progress.done,
            progress_total=progress.total,
            progress_started_at=progress.requests_started,
        )
    return EvalRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(**fields) == 1


@transaction.atomic
def runs_cancel(submission: Any, *, note: str) -> list[int]:
    """Cancel the submission's queued or running runs; a worker running one sees this at its next
    heartbeat and kills the harness's process group. Locks the runs before anything else, as
    finishing, failing and reaping do."""
    runs = list(
        EvalRun.objects.select_for_update().filter(
            submission=submission, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]
        )
    )
    for run in runs:
        run_transition(run, RunStatus.CANCELLED, note=note, finished_at=timezone.now(), failure_reason=note)
    return [run.pk for run in runs]


def run_lock_running(run: EvalRun) -> EvalRun | None:
    """The run again, under its row lock, if it is still RUNNING (inside a transaction)."""
    run = EvalRun.objects.select_for_update(of=("self",)).select_related("submission__suite").get(pk=run.pk)
    return run if run.status == RunStatus.RUNNING else None


EXPORT_TASK = "evaluation.export.run_export_build"


def run_store(run: EvalRun, output: HarnessOutput, record: dict[str, Any]) -> None:
    """Store a locked RUNNING run's results and samples and mark it FINISHED. Once that commits, its download
    is built by a task on CHECKS_CLUSTER, the CPU cluster beside the site, whose disk the site serves it from."""
    results_ingest(run, output)
    run_transition(
        run,
        RunStatus.FINISHED,
        note="results stored",
        finished_at=timezone.now(),
        record=record,
        progress_stage="finished",
        progress_done=max(run.progress_done, run.progress_total),
    )
    transaction.on_commit(
        lambda: async_task(EXPORT_TASK, run.pk, cluster=settings.CHECKS_CLUSTER, task_name=f"download-{run.pk}")
    )


def run_mark_failed(run: EvalRun, kind: FailureKind, reason: str = "", *, log_tail: str = "") -> str:
    """Mark a locked RUNNING run FAILED (its submission is evaluation.jobs.run_fail's); returns the reason as the
    submitter reads it."""
    reason = f"{kind.label}: {reason}" if reason else str(kind.label)
    run_transition(
        run,
        RunStatus.FAILED,
        note=reason,
        finished_at=timezone.now(),
        failure_kind=kind,
        failure_reason=reason,
        log_tail=log_tail,
    )
    return reason


def runs_stale() -> tuple[list[int], datetime]:
    """RUNNING runs whose heartbeat is older than EVAL_STALE_S (their worker or host was lost), and
    that limit."""
    stale_before = timezone.now() - timedelta(seconds=settings.EVAL_STALE_S)
    stale = EvalRun.objects.filter(status=RunStatus.RUNNING, heartbeat_at__lt=stale_before)
    return list(stale.values_list("pk", flat=True)), stale_before


def run_lock_stale(run_id: int, stale_before: datetime) -> EvalRun | None:
    """The run under its row lock if it is still RUNNING without a heartbeat since ``stale_before``
    (None: it beat, finished or is being finished meanwhile)."""
    return (
        EvalRun.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("submission")
        .filter(pk=run_id, status=RunStatus.RUNNING, heartbeat_at__lt=stale_before)
        .first()
    )


def run_work_dir(run: EvalRun) -> Path:
    return Path(settings.EVAL_WORK_DIR) / f"run-{run.pk}"
