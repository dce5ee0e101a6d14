"""The steps that move a submission and its runs together: submit (and the hub checks' end), approve, requeue,
cancel. Runs are above submissions, so submissions.services moves the submission and these steps give it its run
(pipeline.delivery) or stop its runs (evaluation.services), each in one transaction with the submission's move.
"""

from django.conf import settings
from django.db import transaction
from django_q.tasks import async_task

from evaluation.services import runs_cancel
from pipeline.delivery import run_queue
from submissions.checks import CheckOutcome
from submissions.errors import SubmissionError
from submissions.models import ModelSubmission, Status
from submissions.services import (
    moderator_required,
    submission_cancel_note,
    submission_checks_run,
    submission_checks_store,
    submission_prepare,
    submission_queue,
    submission_store,
)
from submissions.transitions import submission_transition

# The task was ``submissions.services.submission_check`` before: one queued under that name before an upgrade fails in
# django-q2 (no such function), so the upgrade sends every CHECKING submission's checks again (checks_resend).
CHECKS_TASK = "pipeline.intake.submission_check"


def _checks_send(pk: int) -> None:
    transaction.on_commit(
        lambda: async_task(CHECKS_TASK, pk, cluster=settings.CHECKS_CLUSTER, task_name=f"checks-{pk}")
    )


def checks_resend() -> int:
    """Send the hub checks of every CHECKING submission again (delivery is at least once: a submission checked
    meanwhile is left alone); how many were sent."""
    pks = list(ModelSubmission.objects.filter(status=Status.CHECKING).values_list("pk", flat=True))
    for pk in pks:
        _checks_send(pk)
    return len(pks)


def submission_submit(*, check_now: bool = False, **fields) -> ModelSubmission:
    """Store a submission, CHECKING, with its submitter's vote, and send its hub checks to the checks cluster.

    Only what is cheap and bounded runs here (submissions.services.submission_prepare, then submission_store in one
    short transaction); ``submission_check`` runs the rest and moves the submission on. A model that passed the
    checks at this commit with these settings before skips them. ``check_now``: run the checks here and now
    (operators' commands), raising SubmissionError when they refuse the model. Raises SubmissionError
    (HubUnavailable when the hub does not answer); nothing is stored then.
    """
    draft = submission_prepare(**fields)
    with transaction.atomic():
        submission = submission_store(draft)
        if submission.status == Status.QUEUED:  # the earlier checks taken over, no review needed
            run_queue(submission)
        elif submission.status == Status.CHECKING and not check_now:
            _checks_send(submission.pk)
    if check_now and submission.status == Status.CHECKING:
        field, reason = _check(submission)
        if submission.status == Status.REJECTED:
            raise SubmissionError(field, reason)
    return submission


def submission_check(submission_id: int) -> str:
    """The django-q2 task on the checks cluster: run the hub checks of a CHECKING submission and move it on.

    Delivery is at least once: a submission no longer CHECKING is left alone.
    """
    submission = ModelSubmission.objects.filter(pk=submission_id, status=Status.CHECKING).first()
    if submission is None:
        return f"submission {submission_id} is not checking: nothing to do"
    _check(submission)
    return f"submission {submission_id}: {submission.status}"


def _check(submission: ModelSubmission) -> tuple[str | None, str]:
    """Run the checks (with their retries) and store the outcome; (field, reason) of a refusal."""
    outcome = submission_checks_run(submission)
    _checks_store(submission, outcome)
    return outcome.field, outcome.refusal


@transaction.atomic
def _checks_store(submission: ModelSubmission, outcome: CheckOutcome) -> None:
    if submission_checks_store(submission, outcome):
        run_queue(submission)


@transaction.atomic
def submission_approve(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """A moderator approves a submission waiting for review: QUEUED, with a new run."""
    moderator_required(actor)
    submission_queue(submission, actor=actor, note=note or "approved", from_status=Status.PENDING_REVIEW)
    run_queue(submission)


@transaction.atomic
def submission_requeue(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """A FAILED submission gets a new attempt."""
    moderator_required(actor)
    submission_queue(submission, actor=actor, note=note or "requeued", from_status=Status.FAILED)
    run_queue(submission)


def submission_cancel(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """The submitter withdraws a pending or queued submission; a moderator cancels one at any time before it ends
    (submissions.services.submission_cancel_note says who may). A worker running it kills the harness at its next
    heartbeat."""
    note = submission_cancel_note(submission, actor=actor, note=note)
    with transaction.atomic():  # the runs are locked first, as finishing, failing and reaping do
        runs_cancel(submission, note=note)
        submission_transition(submission, Status.CANCELLED, actor=actor, note=note)
