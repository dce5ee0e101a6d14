"""The submissions' status machine: the one table of moves, and the guarded functions that make them, each writing
the submission's history rows (SubmissionEvent). Runs have theirs in evaluation.transitions."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core.bulk import model_dicts_copy, model_rows_copy
from core.errors import TransitionError
from core.transitions import status_path
from submissions.models import ModelSubmission, Status, SubmissionEvent

log = logging.getLogger(__name__)

# The only moves a submission may make.
TRANSITIONS: dict[str, set[str]] = {
    Status.CHECKING: {Status.PENDING_REVIEW, Status.QUEUED, Status.REJECTED, Status.CANCELLED},
    Status.PENDING_REVIEW: {Status.QUEUED, Status.REJECTED, Status.CANCELLED},
    Status.QUEUED: {Status.RUNNING, Status.CANCELLED},
    Status.RUNNING: {Status.FINISHED, Status.FAILED, Status.CANCELLED, Status.QUEUED},
    Status.FAILED: {Status.QUEUED},
    Status.FINISHED: set(),
    Status.REJECTED: set(),
    Status.CANCELLED: set(),
}
DUPLICATE_CONSTRAINT = "one_active_submission_per_model_config"
# Where a submission's life starts: CHECKING when submitted here, PENDING_REVIEW when made elsewhere (an import).
CREATED_STATUSES = (Status.CHECKING, Status.PENDING_REVIEW)
EVENT_FIELDS = ("submission", "actor", "from_status", "to_status", "note", "created_at")


@transaction.atomic
def submission_transition(
    submission: ModelSubmission, to_status: str, *, actor: User | None = None, note: str = ""
) -> None:
    """Move a submission along TRANSITIONS (under a row lock) and write the history row."""
    current = ModelSubmission.objects.select_for_update().values_list("status", flat=True).get(pk=submission.pk)
    if to_status not in TRANSITIONS[current]:
        raise TransitionError(f"a {Status(current).label} submission cannot become {Status(to_status).label}")
    try:
        with transaction.atomic():
            ModelSubmission.objects.filter(pk=submission.pk).update(status=to_status, updated_at=timezone.now())
    except IntegrityError as exc:  # FAILED -> QUEUED while an identical submission is active
        if DUPLICATE_CONSTRAINT not in str(exc):
            raise
        raise TransitionError(
            "an identical submission (same model, commit, precision, weight type and suite) is already "
            "pending review, queued, running or finished"
        ) from None
    submission.status = to_status
    SubmissionEvent.objects.create(
        submission=submission, actor=actor, from_status=current, to_status=to_status, note=note
    )
    if to_status in (Status.FINISHED, Status.FAILED, Status.REJECTED):
        transaction.on_commit(lambda: submission_notify(submission.pk))


@transaction.atomic
def submission_fail(submission: ModelSubmission, *, reason: str) -> None:
    """Its evaluation failed for good: the submitter reads ``reason`` (and is emailed it)."""
    ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason=reason)
    submission.failure_reason = reason
    submission_transition(submission, Status.FAILED, note=reason)


def submission_notify(submission_id: int) -> None:
    """Tell the submitter that the evaluation ended or the submission was rejected, and how."""
    submission = ModelSubmission.objects.select_related("user", "suite").get(pk=submission_id)
    if submission.user is None or not submission.user.email:
        return
    if submission.status == Status.FINISHED:
        body = f"{submission.model_id} is evaluated and ranked on {submission.suite.name}."
    elif submission.status == Status.REJECTED and submission.events.filter(from_status=Status.CHECKING).exists():
        body = f"The hub checks refused {submission.model_id}: {submission.failure_reason}\nYou can submit it again."
    elif submission.status == Status.REJECTED:
        body = f"A moderator rejected {submission.model_id}: {submission.failure_reason}"
    else:
        body = f"The evaluation of {submission.model_id} failed: {submission.failure_reason}\nYou can submit it again."
    link = settings.SITE_URL.rstrip("/") + reverse("submission", args=[submission.pk])
    try:
        send_mail(
            f"[leaderboard] {submission.model_id}: {submission.get_status_display()}",
            f"{body}\n\n{link}\n",
            None,
            [submission.user.email],
        )
    except OSError:  # the mail server is down: the status is on the profile and the queue anyway
        log.exception("could not email %s about submission %s", submission.user.email, submission.pk)


@dataclass(frozen=True)
class Leg:
    """A stretch of a submission's history written in bulk: along TRANSITIONS, the shortest way, to ``goal``, each
    move a history row stamped ``at`` with ``note``."""

    goal: str
    at: datetime
    note: str


def _history_rows(submission_id: int, start: str, legs: Sequence[Leg], actor_id: int | None) -> list[tuple[Any, ...]]:
    rows = []
    for leg in legs:
        steps = [leg.goal] if start == "" else status_path(TRANSITIONS, start, leg.goal)
        for status in steps:
            rows.append((submission_id, actor_id, start, status, leg.note, leg.at))
            start = status
    return rows


def submissions_create_bulk(
    *, submissions: Sequence[dict[str, Any]], histories: Sequence[Sequence[Leg]], actor_id: int | None
) -> int:
    """COPY new submissions made elsewhere (an import), each with its history rows, inside the caller's transaction:
    its first leg creates it in one of CREATED_STATUSES, the others follow TRANSITIONS; its status is where its
    history ends. Each submission is a dict of the same fields but ``status``, its ``id`` taken with
    core.bulk.ids_take. No one is emailed. Returns how many; TransitionError (nothing written) when a history
    breaks the machine."""
    events, rows = [], []
    for submission, legs in zip(submissions, histories, strict=True):
        if not legs or legs[0].goal not in CREATED_STATUSES:
            raise TransitionError(f"a submission is created {' or '.join(CREATED_STATUSES)}")
        events += _history_rows(submission["id"], "", legs, actor_id)
        rows.append({**submission, "status": legs[-1].goal})
    model_dicts_copy(model=ModelSubmission, rows=rows)
    model_rows_copy(model=SubmissionEvent, fields=EVENT_FIELDS, rows=events)
    return len(rows)


@transaction.atomic
def submissions_move_bulk(*, legs: dict[int, Leg], actor_id: int | None) -> int:
    """Move existing submissions (locked here) along TRANSITIONS, the shortest way, to their leg's goal, with their
    history rows: one UPDATE per goal and one COPY. No one is emailed. Returns how many moved; TransitionError
    (nothing written) when one cannot get there."""
    current = dict(ModelSubmission.objects.select_for_update().filter(pk__in=legs).values_list("pk", "status"))
    events, by_goal = [], defaultdict(list)
    for submission_id, leg in legs.items():
        events += _history_rows(submission_id, current[submission_id], [leg], actor_id)
        if current[submission_id] != leg.goal:
            by_goal[leg.goal].append(submission_id)
    now = timezone.now()
    for goal, ids in by_goal.items():
        ModelSubmission.objects.filter(pk__in=ids).update(status=goal, updated_at=now)
    model_rows_copy(model=SubmissionEvent, fields=EVENT_FIELDS, rows=events)
    return sum(map(len, by_goal.values()))
