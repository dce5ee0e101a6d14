"""Every write to votes, and the count each submission keeps of them.

One vote per user per model revision (model id and commit): cast on a submission that waits (pending review or
queued), it counts for every submission of that revision. ``ModelSubmission.votes`` holds the number of the votes
that count now (accounts.policy.counted_voters); the workers take queued runs in that order after the moderators'
priority (evaluation.selectors.QUEUE_ORDER). It is counted again under the row locks of the revision's submissions
at every vote and withdrawal, and for every waiting submission by ``votes_refresh`` (on the reaper's schedule:
accounts come of age, addresses get verified).
"""

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q

from accounts.policy import counted_voters
from core.errors import DomainError
from submissions.models import VOTABLE_STATUSES, ModelSubmission, Status, Vote

# Submissions whose count still moves: those that wait, and those in their hub checks (the submitter's vote).
COUNTED = (Status.CHECKING, *VOTABLE_STATUSES)
NOT_WAITING = "votes are taken only while a submission waits for review or in the queue; this one is {status}"


class VoteError(DomainError):
    """A vote that cannot be cast or withdrawn, with the reason the voter reads."""

    status = 409


def _revision_locked(submission: ModelSubmission) -> list[ModelSubmission]:
    """Lock the submissions of ``submission``'s revision whose count moves, ``submission`` among them, in one
    order (voters on the same revision wait for each other, never deadlock); returns them as they are now."""
    return list(
        ModelSubmission.objects.select_for_update()
        .filter(model_id=submission.model_id, commit_sha=submission.commit_sha)
        .filter(Q(status__in=COUNTED) | Q(pk=submission.pk))
        .order_by("pk")
    )


def _counted(model_id: str, commit_sha: str) -> int:
    voters = get_user_model().objects.filter(counted_voters()).values("pk")
    return Vote.objects.filter(model_id=model_id, commit_sha=commit_sha, user__in=voters).count()


def _recount(locked: list[ModelSubmission], submission: ModelSubmission) -> int:
    """Store the revision's count on its locked submissions (``submission`` among them)."""
    count = _counted(submission.model_id, submission.commit_sha)
    ModelSubmission.objects.filter(pk__in=[s.pk for s in locked]).exclude(votes=count).update(votes=count)
    submission.votes = count
    return count


def _waiting(locked: list[ModelSubmission], submission: ModelSubmission) -> None:
    status = next(s.status for s in locked if s.pk == submission.pk)
    if status not in VOTABLE_STATUSES:
        raise VoteError(NOT_WAITING.format(status=Status(status).label))


@transaction.atomic
def vote_cast(*, user, submission: ModelSubmission) -> int:
    """``user`` upvotes the revision of a waiting ``submission``; returns its count (which leaves out a vote of
    an account that does not count yet). VoteError when it does not wait, or ``user`` voted for it already."""
    locked = _revision_locked(submission)
    _waiting(locked, submission)
    try:
        with transaction.atomic():
            Vote.objects.create(user=user, model_id=submission.model_id, commit_sha=submission.commit_sha)
    except IntegrityError:
        raise VoteError(f"you have voted for {submission.model_id} at this commit already") from None
    return _recount(locked, submission)


@transaction.atomic
def vote_withdraw(*, user, submission: ModelSubmission) -> int:
    """Take back ``user``'s vote for the revision of a waiting ``submission``; returns its count."""
    locked = _revision_locked(submission)
    _waiting(locked, submission)
    deleted, _ = Vote.objects.filter(user=user, model_id=submission.model_id, commit_sha=submission.commit_sha).delete()
    if not deleted:
        raise VoteError(f"you have not voted for {submission.model_id} at this commit")
    return _recount(locked, submission)


def vote_submitter(submission: ModelSubmission) -> None:
    """The submitter's own vote, added when they submit (inside submission_store's transaction); a vote they
    cast for the revision before stays the one."""
    if submission.user_id is None:
        return
    locked = _revision_locked(submission)
    Vote.objects.get_or_create(
        user_id=submission.user_id, model_id=submission.model_id, commit_sha=submission.commit_sha
    )
    _recount(locked, submission)


def votes_refresh() -> int:
    """Count again the votes of every submission whose count moves (those that another transaction holds are
    left for the next time); returns how many changed."""
    changed = 0
    with transaction.atomic():
        moving = ModelSubmission.objects.select_for_update(skip_locked=True).filter(status__in=COUNTED).order_by("pk")
        for submission in moving:
            count = _counted(submission.model_id, submission.commit_sha)
            if count != submission.votes:
                ModelSubmission.objects.filter(pk=submission.pk).update(votes=count)
                changed += 1
    return changed
