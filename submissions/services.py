"""Every write to submissions, and the one status machine."""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from submissions.errors import SubmissionError
from submissions.hub import ModelFacts, check_model_id, model_facts
from submissions.models import (
    BlockedModel,
    ModelSubmission,
    ModelType,
    Organisation,
    Precision,
    Status,
    SubmissionEvent,
    UserQuota,
    WeightType,
)

log = logging.getLogger(__name__)

# The only moves a submission may make.
TRANSITIONS: dict[str, set[str]] = {
    Status.PENDING_REVIEW: {Status.QUEUED, Status.REJECTED, Status.CANCELLED},
    Status.QUEUED: {Status.RUNNING, Status.CANCELLED},
    Status.RUNNING: {Status.FINISHED, Status.FAILED, Status.CANCELLED, Status.QUEUED},
    Status.FAILED: {Status.QUEUED},
    Status.FINISHED: set(),
    Status.REJECTED: set(),
    Status.CANCELLED: set(),
}
CANCELLABLE = (Status.PENDING_REVIEW, Status.QUEUED, Status.RUNNING)
SUBMITTER_CANCELLABLE = (Status.PENDING_REVIEW, Status.QUEUED)
DUPLICATE_CONSTRAINT = "one_active_submission_per_model_config"


class TransitionError(ValueError):
    pass


@transaction.atomic
def submission_transition(submission: ModelSubmission, to_status: str, *, actor=None, note: str = "") -> None:
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


def submission_notify(submission_id: int) -> None:
    """Tell the submitter that the evaluation ended or the submission was rejected, and how."""
    submission = ModelSubmission.objects.select_related("user", "suite").get(pk=submission_id)
    if submission.user is None or not submission.user.email:
        return
    if submission.status == Status.FINISHED:
        body = f"{submission.model_id} is evaluated and ranked on {submission.suite.name}."
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


def _queue(submission: ModelSubmission, *, actor, note: str, from_status: str) -> None:
    """Queue a submission that is ``from_status`` now (read under the row lock) with a new run."""
    from evaluation.services import run_enqueue  # evaluation builds on submissions

    current = ModelSubmission.objects.select_for_update().values_list("status", flat=True).get(pk=submission.pk)
    if current != from_status:
        verb = "approved" if from_status == Status.PENDING_REVIEW else "requeued"
        raise TransitionError(f"a {Status(current).label} submission cannot be {verb}")
    submission_transition(submission, Status.QUEUED, actor=actor, note=note)
    ModelSubmission.objects.filter(pk=submission.pk).exclude(failure_reason="").update(failure_reason="")
    submission.failure_reason = ""  # the old reason stays in the history
    run_enqueue(submission)


def _check_choice(field: str, value: str, choices) -> None:
    if value not in choices.values:
        raise SubmissionError(field, f"Select one of: {', '.join(choices.values)}.")


def _quota_window_start():
    return timezone.now() - timedelta(days=settings.SUBMISSION_QUOTA_DAYS)


def _check_quota(user, model_id: str) -> bool:
    """Refuse a submission over the user's or the organisation's quota; True when it is exempt.

    Runs inside the creating transaction and holds row locks on the user, then on the
    organisation, until it commits: parallel submissions count one after another.
    """
    if user is None or user.is_staff:
        return True
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    org_name = model_id.split("/")[0]
    org, _ = Organisation.objects.get_or_create(name__iexact=org_name, defaults={"name": org_name})
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    if org.trusted:
        return True
    since, days = _quota_window_start(), settings.SUBMISSION_QUOTA_DAYS
    counted = ModelSubmission.objects.filter(quota_exempt=False, created_at__gte=since).order_by("created_at")
    own = UserQuota.objects.filter(user=user).values_list("max_submissions", flat=True).first()
    for limit, used, said in (
        (
            settings.SUBMISSION_QUOTA_PER_USER if own is None else own,
            counted.filter(user=user),
            "You have submitted {count} models in the last {days} days",
        ),
        (
            settings.SUBMISSION_QUOTA_PER_ORG if org.max_submissions is None else org.max_submissions,
            counted.filter(model_id__istartswith=f"{org.name}/"),
            f"Models of {org.name} were submitted {{count}} times in the last {{days}} days",
        ),
    ):
        count = used.count()
        if count >= limit:
            said = said.format(count=count, days=days)
            if not limit:
                raise SubmissionError(None, f"{said}; no submissions are allowed here. Ask a moderator.")
            again = used[count - limit].created_at + timedelta(days=days)  # when enough of them age out
            raise SubmissionError(
                None,
                f"{said}, the most allowed ({limit}); the next submission is possible after "
                f"{again:%Y-%m-%d %H:%M} UTC.",
            )
    return False


def _duplicate_error(facts: ModelFacts, precision: str, weight_type: str, suite) -> SubmissionError:
    existing = ModelSubmission.objects.filter(
        model_id=facts.model_id, commit_sha=facts.commit_sha, precision=precision, weight_type=weight_type,
        suite=suite, status__in=[Status.PENDING_REVIEW, Status.QUEUED, Status.RUNNING, Status.FINISHED],
    ).first()  # fmt: skip
    state = f" ({existing.get_status_display()})" if existing else ""
    return SubmissionError(
        "model_id",
        f"{facts.model_id} at commit {facts.commit_sha[:7]} in {precision} is already submitted to "
        f"{suite.name}{state}; it can be submitted again only if that evaluation failed or was rejected or "
        "cancelled.",
    )


def submission_create(
    *,
    user,
    model_id: str,
    revision: str = "main",
    precision: str,
    suite,
    weight_type: str = WeightType.ORIGINAL,
    base_model: str = "",
    model_type: str = ModelType.PRETRAINED,
    use_chat_template: bool = False,
    review: bool | None = None,
) -> ModelSubmission:
    """Check the model on the hub and store the submission, queued at once when no review is needed.

    The hub checks run before the transaction (the hub may be slow); the quota count, the
    duplicate constraint and the insert run in one short transaction. Raises SubmissionError;
    nothing is stored then.
    """
    _check_choice("precision", precision, Precision)
    _check_choice("weight_type", weight_type, WeightType)
    _check_choice("model_type", model_type, ModelType)
    model_id = check_model_id(model_id)
    blocked = BlockedModel.objects.filter(model_id__iexact=model_id).first()
    if blocked:
        raise SubmissionError("model_id", f"{model_id} may not be submitted: {blocked.reason}")
    base_model = (base_model or "").strip() if weight_type != WeightType.ORIGINAL else ""
    if weight_type != WeightType.ORIGINAL and not base_model:
        raise SubmissionError("base_model", "Delta and adapter weights need the base model they apply to.")

    facts = model_facts(
        model_id, revision, precision=precision, weight_type=weight_type, base_model=base_model,
        use_chat_template=use_chat_template,
    )  # fmt: skip
    with transaction.atomic():
        quota_exempt = _check_quota(user, facts.model_id)
        try:
            with transaction.atomic():
                submission = ModelSubmission.objects.create(
                    user=user,
                    model_id=facts.model_id,
                    revision=(revision or "main").strip(),
                    commit_sha=facts.commit_sha,
                    precision=precision,
                    weight_type=weight_type,
                    base_model=facts.base_model,
                    model_type=model_type,
                    use_chat_template=use_chat_template,
                    suite=suite,
                    facts=facts.as_dict(),
                    quota_exempt=quota_exempt,
                )
        except IntegrityError as exc:
            if DUPLICATE_CONSTRAINT not in str(exc):
                raise
            raise _duplicate_error(facts, precision, weight_type, suite) from None
        SubmissionEvent.objects.create(submission=submission, actor=user, to_status=Status.PENDING_REVIEW)
        needs_review = settings.SUBMISSIONS_NEED_REVIEW if review is None else review
        if not needs_review:
            _queue(submission, actor=user, note="queued without review", from_status=Status.PENDING_REVIEW)
    return submission


@transaction.atomic
def submission_approve(submission: ModelSubmission, *, actor, note: str = "") -> None:
    _queue(submission, actor=actor, note=note or "approved", from_status=Status.PENDING_REVIEW)


@transaction.atomic
def submission_reject(submission: ModelSubmission, *, actor, reason: str) -> None:
    """Refuse a pending submission; the submitter sees the reason (and is emailed it)."""
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError("a rejection needs a reason the submitter can read")
    submission_transition(submission, Status.REJECTED, actor=actor, note=reason)
    ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason=reason)
    submission.failure_reason = reason


@transaction.atomic
def submission_requeue(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """A FAILED submission gets a new attempt."""
    _queue(submission, actor=actor, note=note or "requeued", from_status=Status.FAILED)


def submission_can_cancel(submission: ModelSubmission, user) -> bool:
    """Staff cancel anything pending, queued or running; the submitter only what has not started."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:
        return submission.status in CANCELLABLE
    return submission.user_id == user.pk and submission.status in SUBMITTER_CANCELLABLE


def submission_cancel(submission: ModelSubmission, *, actor, note: str = "") -> None:
    """The submitter withdraws a pending or queued submission; staff cancel one at any time before it ends.

    A worker running it kills the harness at its next heartbeat.
    """
    from evaluation.services import run_cancel  # evaluation builds on submissions

    if actor is None or not (actor.is_staff or (submission.user_id and submission.user_id == actor.pk)):
        raise PermissionDenied("Only the submitter or a moderator can cancel a submission.")
    if not actor.is_staff and submission.status == Status.RUNNING:
        raise TransitionError("its evaluation has started; ask a moderator to stop it")
    run_cancel(submission, actor=actor, note=note or ("cancelled by a moderator" if actor.is_staff else "withdrawn"))


@transaction.atomic
def submission_raise_priority(submission: ModelSubmission, *, by: int = 1) -> None:
    """Move a submission ahead of the equal-priority ones in the queue."""
    ModelSubmission.objects.filter(pk=submission.pk).update(priority=F("priority") + by)
    submission.refresh_from_db(fields=["priority"])
