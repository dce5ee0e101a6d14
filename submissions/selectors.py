from django.db.models import Count, Prefetch, QuerySet

from evaluation.models import EvalRun
from submissions.models import ModelSubmission, Status

# The order the queue runs in: higher priority first, then first come, first served.
QUEUE_ORDER = ["-priority", "created_at", "pk"]
# The /queue/ page's sections, in order, with how each is sorted.
QUEUE_SECTIONS = [
    (Status.RUNNING, ["created_at", "pk"]),
    (Status.QUEUED, QUEUE_ORDER),
    (Status.PENDING_REVIEW, ["created_at", "pk"]),
    (Status.FAILED, ["-updated_at", "-pk"]),
    (Status.FINISHED, ["-updated_at", "-pk"]),
    (Status.REJECTED, ["-updated_at", "-pk"]),
    (Status.CANCELLED, ["-updated_at", "-pk"]),
]


def _with_runs(queryset: QuerySet[ModelSubmission]) -> QuerySet[ModelSubmission]:
    runs = EvalRun.objects.order_by("-created_at", "-pk")
    return queryset.select_related("suite").prefetch_related(Prefetch("runs", queryset=runs, to_attr="runs_newest"))


def queue_positions() -> dict[int, int]:
    """{submission pk: its place in the queue, from 1} for every QUEUED submission."""
    queued = ModelSubmission.objects.filter(status=Status.QUEUED).order_by(*QUEUE_ORDER).values_list("pk", flat=True)
    return {pk: place for place, pk in enumerate(queued, start=1)}


def annotate_progress(submissions, positions: dict[int, int] | None = None) -> list[ModelSubmission]:
    """Give each submission (fetched with _with_runs) .latest_run and .queue_position."""
    positions = queue_positions() if positions is None else positions
    submissions = list(submissions)
    for submission in submissions:
        submission.latest_run = submission.runs_newest[0] if submission.runs_newest else None
        submission.queue_position = positions.get(submission.pk)
    return submissions


def submissions_of(user) -> QuerySet[ModelSubmission]:
    return _with_runs(ModelSubmission.objects.filter(user=user)).order_by("-created_at", "-pk")


def queue_section(status: str) -> QuerySet[ModelSubmission]:
    """Every submission in one state, in the order the queue page lists them."""
    order = dict(QUEUE_SECTIONS)[status]
    return _with_runs(ModelSubmission.objects.filter(status=status)).order_by(*order)


def queue_counts() -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    for row in ModelSubmission.objects.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


def submission_detail(pk: int) -> ModelSubmission:
    submission = _with_runs(ModelSubmission.objects.filter(pk=pk)).prefetch_related("events").get()
    return annotate_progress([submission])[0]
