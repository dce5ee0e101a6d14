"""Reads of runs for pages: progress, queue positions, the queue itself, submissions with their runs."""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib.auth.models import User
from django.db.models import Count, F, FloatField, Min, Prefetch, Q, QuerySet, Sum, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from core.histograms import Histogram, histograms_of
from evaluation.models import EvalRun, RunStatus
from submissions.models import ModelSubmission, Status

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

# The order the workers take queued runs in: the moderators' priority, then the votes (submissions.votes keeps the
# count on the submission), then the oldest submission (a requeued run keeps its submission's place).
QUEUE_ORDER = (
    F("submission__priority").desc(),
    F("submission__votes").desc(),
    F("submission__created_at").asc(),
    F("created_at").asc(),
    F("pk").asc(),
)


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    status: str
    status_label: str
    stage: str
    done: int
    total: int  # 0: not known yet
    percent: float | None  # None: no bar to draw yet
    elapsed_s: int | None  # since the worker claimed it (to its end, once ended)
    eta_s: int | None  # what is left, at the rate of the requests answered so far
    queue_position: int | None  # 1 = next on its cluster; only while queued
    final: bool
    reason: str  # why it failed or was cancelled

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_progress(run: EvalRun, *, now: datetime | None = None) -> RunProgress:
    now = now or timezone.now()
    running = run.status == RunStatus.RUNNING
    end = now if running else run.finished_at
    elapsed = int((end - run.started_at).total_seconds()) if run.started_at and end else None
    done, total = run.progress_done, run.progress_total
    percent = min(100.0, round(100 * done / total, 1)) if total else None
    eta = None
    if running and total and done and run.progress_started_at and run.heartbeat_at:
        # The rate as of the last heartbeat (when done was stored), less the time since.
        spent = (run.heartbeat_at - run.progress_started_at).total_seconds()
        if spent > 0:
            eta = max(0, int((total - done) * spent / done - (now - run.heartbeat_at).total_seconds()))
    if run.status == RunStatus.FINISHED:
        percent = 100.0
    return RunProgress(
        run_id=run.pk,
        status=run.status,
        status_label=run.get_status_display(),
        stage=run.progress_stage if running else "",
        done=done,
        total=total,
        percent=percent,
        elapsed_s=elapsed,
        eta_s=eta,
        queue_position=run_queue_position(run) if run.status == RunStatus.QUEUED else None,
        final=run.status in (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELLED),
        reason=run.failure_reason if run.status in (RunStatus.FAILED, RunStatus.CANCELLED) else "",
    )


def run_queue_position(run: EvalRun) -> int | None:
    """1 + the queued runs of the same cluster that a worker will take before this one; None unless queued."""
    if run.status != RunStatus.QUEUED:
        return None
    keys = [  # QUEUE_ORDER's, each (field, whether higher goes first, this run's value)
        ("submission__priority", True, run.submission.priority),
        ("submission__votes", True, run.submission.votes),
        ("submission__created_at", False, run.submission.created_at),
        ("created_at", False, run.created_at),
        ("pk", False, run.pk),
    ]
    ahead = Q()
    same: dict[str, Any] = {}
    for field, higher_first, value in keys:
        ahead |= Q(**same, **{f"{field}__{'gt' if higher_first else 'lt'}": value})
        same[field] = value
    return EvalRun.objects.filter(ahead, status=RunStatus.QUEUED, cluster=run.cluster).count() + 1


class QueuePosition(TypedDict):
    queue_position: int


def runs_in_queue() -> "QuerySet[WithAnnotations[EvalRun, QueuePosition]]":
    """Running runs, then queued ones in the order workers take them, each queued one annotated with
    ``queue_position`` on its cluster (running ones have it too: their rank among running runs)."""
    return (
        EvalRun.objects.filter(status__in=[RunStatus.RUNNING, RunStatus.QUEUED])
        .select_related("submission__suite", "submission__user")
        .annotate(queue_position=Window(RowNumber(), partition_by=[F("status"), F("cluster")], order_by=QUEUE_ORDER))
        .order_by("-status", *QUEUE_ORDER)  # RUNNING sorts after QUEUED alphabetically: descending puts it first
    )


# --- What operators watch (operations.health, operations.metrics): computed from the database when asked, so every
# process and host reads the same values. ---


def runs_queued_by_cluster() -> dict[str, list[int]]:
    """{cluster: its QUEUED runs' ids, in the order its workers take them}."""
    queued = EvalRun.objects.filter(status=RunStatus.QUEUED).order_by(*QUEUE_ORDER).values_list("cluster", "pk")
    by_cluster: dict[str, list[int]] = {}
    for cluster, run_id in queued:
        by_cluster.setdefault(cluster, []).append(run_id)
    return by_cluster


RUN_DURATION_BOUNDS = (10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 43200.0, 86400.0)


def runs_counted() -> list[Mapping[str, Any]]:
    """How many runs there are of each status, cluster and failure kind."""
    return list(EvalRun.objects.order_by().values("status", "cluster", "failure_kind").annotate(n=Count("pk")))


def runs_oldest_queued() -> dict[str, datetime]:
    """The creation time of each cluster's oldest queued run (clusters with none queued are left out)."""
    rows = (
        EvalRun.objects.filter(status=RunStatus.QUEUED).order_by().values("cluster").annotate(oldest=Min("created_at"))
    )
    return {row["cluster"]: row["oldest"] for row in rows}


def runs_durations() -> dict[str, Histogram]:
    """Finished runs' durations (claimed to finished) in seconds, per cluster."""
    return histograms_of(
        "SELECT cluster, extract(epoch FROM finished_at - started_at) FROM evaluation_evalrun "
        f"WHERE status = '{RunStatus.FINISHED}' AND started_at IS NOT NULL AND finished_at IS NOT NULL",
        RUN_DURATION_BOUNDS,
    )


def runs_gpu_seconds() -> dict[str, float]:
    """GPU-seconds of the finished runs (their record's wall time on a CUDA device), per cluster."""
    rows = (
        EvalRun.objects.filter(status=RunStatus.FINISHED)
        .order_by()
        .values("cluster")
        .annotate(seconds=Sum(Cast(KT("record__gpu_seconds"), FloatField())))
    )
    return {row["cluster"]: row["seconds"] or 0.0 for row in rows}


# Submissions with their runs, for the queue, a submission's page and a submitter's profile.
# The /queue/ page's sections, in order, with how each is sorted. Waiting ones go as the workers take their
# runs (QUEUE_ORDER above): higher priority first, then more votes, then first submitted.
WAITING_ORDER = ["-priority", "-votes", "created_at", "pk"]
QUEUE_SECTIONS: list[tuple[str, list[str]]] = [
    (Status.RUNNING, ["created_at", "pk"]),
    (Status.QUEUED, WAITING_ORDER),
    (Status.PENDING_REVIEW, WAITING_ORDER),
    (Status.CHECKING, ["created_at", "pk"]),
    (Status.FAILED, ["-updated_at", "-pk"]),
    (Status.FINISHED, ["-updated_at", "-pk"]),
    (Status.REJECTED, ["-updated_at", "-pk"]),
    (Status.CANCELLED, ["-updated_at", "-pk"]),
]


def _with_runs(queryset: QuerySet[ModelSubmission]) -> QuerySet[ModelSubmission]:
    runs = EvalRun.objects.order_by("-created_at", "-pk")
    return queryset.select_related("suite").prefetch_related(Prefetch("runs", queryset=runs, to_attr="runs_newest"))


def queue_positions() -> dict[int, int]:
    """{submission pk: its place in line on its GPU cluster, from 1}, in the order the workers take runs."""
    return {run.submission_id: run.queue_position for run in runs_in_queue().filter(status=RunStatus.QUEUED)}


def annotate_progress(submissions: Iterable[Any], positions: dict[int, int] | None = None) -> list[ModelSubmission]:
    """Give each submission (fetched with _with_runs) .latest_run and .queue_position."""
    positions = queue_positions() if positions is None else positions
    submissions = list(submissions)
    for submission in submissions:
        submission.latest_run = submission.runs_newest[0] if submission.runs_newest else None
        submission.queue_position = positions.get(submission.pk)
    return submissions


def submissions_of(user: User) -> QuerySet[ModelSubmission]:
    return _with_runs(ModelSubmission.objects.filter(user=user)).order_by("-created_at", "-pk")


def queue_section(status: str) -> QuerySet[ModelSubmission]:
    """Every submission in one state, in the order the queue page lists them."""
    order = dict(QUEUE_SECTIONS)[status]
    return _with_runs(ModelSubmission.objects.filter(status=status)).order_by(*order)


def submission_detail(pk: int) -> ModelSubmission:
    submission = _with_runs(ModelSubmission.objects.filter(pk=pk)).prefetch_related("events").get()
    return annotate_progress([submission])[0]
