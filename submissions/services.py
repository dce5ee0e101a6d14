"""Every write to submissions, and the one status machine."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

from submissions.errors import SubmissionError
from submissions.hub import ModelFacts, model_facts
from submissions.models import ModelSubmission, Status, SubmissionEvent

# The only moves a submission may make.
TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING_REVIEW: {Status.QUEUED, Status.REJECTED},
    Status.QUEUED: {Status.RUNNING, Status.CANCELLED},
    Status.RUNNING: {Status.FINISHED, Status.FAILED, Status.CANCELLED, Status.QUEUED},
    Status.FAILED: {Status.QUEUED},
    Status.FINISHED: set(),
    Status.REJECTED: set(),
    Status.CANCELLED: set(),
}


class TransitionError(ValueError):
    pass


@transaction.atomic
def submission_transition(submission: ModelSubmission, to_status: str, *, actor=None, note: str = "") -> None:
    """Move a submission along TRANSITIONS (under a row lock) and write the history row."""
    current = ModelSubmission.objects.select_for_update().values_list("status", flat=True).get(pk=submission.pk)
    if to_status not in TRANSITIONS[current]:
        raise TransitionError(f"a {Status(current).label} submission cannot become {Status(to_status).label}")
    ModelSubmission.objects.filter(pk=submission.pk).update(status=to_status)
    submission.status = to_status
    SubmissionEvent.objects.create(
        submission=submission, actor=actor, from_status=current, to_status=to_status, note=note
    )
    if to_status in (Status.FINISHED, Status.FAILED):
        transaction.on_commit(lambda: submission_notify(submission.pk))


def submission_notify(submission_id: int) -> None:
    """Tell the submitter that the evaluation ended, and how."""
    submission = ModelSubmission.objects.select_related("user", "suite").get(pk=submission_id)
    if submission.user is None or not submission.user.email:
        return
    if submission.status == Status.FINISHED:
        body = f"{submission.model_id} is evaluated and ranked on {submission.suite.name}."
    else:
        body = f"The evaluation of {submission.model_id} failed: {submission.failure_reason}\nYou can submit it again."
    send_mail(
        f"[leaderboard] {submission.model_id}: {submission.get_status_display()}",
        body,
        None,
        [submission.user.email],
        fail_silently=True,
    )


def _queue(submission: ModelSubmission, *, actor, note: str) -> None:
    from evaluation.services import run_enqueue  # evaluation builds on submissions

    submission_transition(submission, Status.QUEUED, actor=actor, note=note)
    run_enqueue(submission)


@transaction.atomic
def submission_create(
    *,
    user,
    model_id: str,
    revision: str,
    precision: str,
    suite,
    weight_type: str = "Original",
    base_model: str = "",
    model_type: str = "pretrained",
    use_chat_template: bool = False,
    review: bool | None = None,
) -> ModelSubmission:
    """Check the model on the hub and store the submission, queued at once when no review is needed.

    Raises SubmissionError; nothing is stored then.
    """
    facts: ModelFacts = model_facts(model_id, revision)
    try:
        with transaction.atomic():
            submission = ModelSubmission.objects.create(
                user=user,
                model_id=facts.model_id,
                revision=revision,
                commit_sha=facts.commit_sha,
                precision=precision,
                weight_type=weight_type,
                base_model=base_model,
                model_type=model_type,
                use_chat_template=use_chat_template,
                suite=suite,
                facts=facts.as_dict(),
            )
    except IntegrityError:
        raise SubmissionError(
            "model_id",
            f"{facts.model_id} at commit {facts.commit_sha[:7]} in {precision} is already submitted to "
            f"{suite.name}; it can be submitted again only if that evaluation failed or was rejected or cancelled.",
        ) from None
    SubmissionEvent.objects.create(submission=submission, actor=user, to_status=Status.PENDING_REVIEW)
    needs_review = settings.SUBMISSIONS_NEED_REVIEW if review is None else review
    if not needs_review:
        _queue(submission, actor=user, note="queued without review")
    return submission


@transaction.atomic
def submission_approve(submission: ModelSubmission, *, actor, note: str = "") -> None:
    _queue(submission, actor=actor, note=note or "approved")


@transaction.atomic
def submission_requeue(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """A FAILED submission gets a new attempt."""
    _queue(submission, actor=actor, note=note or "requeued")
