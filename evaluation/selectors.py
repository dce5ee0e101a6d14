"""Reads of runs for pages: progress, queue positions, the queue itself."""

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.db import connection
from django.db.models import Count, F, FloatField, Min, Q, QuerySet, Sum, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, RowNumber
from django.utils import timezone

from evaluation.models import EvalRun, RunStatus

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


@dataclass(frozen=True)
class Histogram:
    """Prometheus's shape: how many values were at most each bound (cumulative), how many in all, their sum."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    total: float


def histograms_of(values_sql: str, bounds: tuple[float, ...]) -> dict[str, Histogram]:
    """Histograms of ``values_sql``, a query of (label, value) rows, one per label, counted in the database."""
    counts = ", ".join(f"count(*) FILTER (WHERE value <= {float(bound)!r})" for bound in bounds)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT label, count(*), coalesce(sum(value), 0), {counts} FROM ({values_sql}) AS v(label, value) "
            "GROUP BY label ORDER BY label"
        )
        return {
            label: Histogram(bounds=bounds, cumulative=tuple(cumulative), count=count, total=float(total))
            for label, count, total, *cumulative in cursor.fetchall()
        }


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
