from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Min, Q
from django.utils import timezone

from accounts.policy import can_moderate, counted_voters
from core.histograms import Histogram, histograms_of
from submissions.models import VOTABLE_STATUSES, ModelSubmission, Status, UserQuota, Vote


def queue_counts() -> dict[str, int]:
    counts = dict.fromkeys(Status.values, 0)
    for row in ModelSubmission.objects.values("status").order_by().annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


# What operators watch (operations.metrics), from the database when asked.
CHECKS_LATENCY_BOUNDS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def submissions_counted() -> dict[str, int]:
    """How many submissions there are of each status."""
    rows = ModelSubmission.objects.order_by().values("status").annotate(n=Count("pk"))
    return {row["status"]: row["n"] for row in rows}


def submissions_oldest_checking() -> datetime | None:
    """When the oldest submission still waiting for (or in) its hub checks was made; None when there is none."""
    checking = ModelSubmission.objects.filter(status=Status.CHECKING)
    oldest: datetime | None = checking.aggregate(oldest=Min("created_at"))["oldest"]
    return oldest


def checks_latency() -> Histogram | None:
    """Seconds from a submission's creation to the end of its hub checks (its first move out of CHECKING)."""
    found = histograms_of(
        "SELECT '', extract(epoch FROM e.created_at - s.created_at) FROM submissions_submissionevent e "
        "JOIN submissions_modelsubmission s ON s.id = e.submission_id "
        f"WHERE e.from_status = '{Status.CHECKING}'",
        CHECKS_LATENCY_BOUNDS,
    )
    return found.get("")


def quota_use(user: User) -> dict[str, Any]:
    """How much of their own quota ``user`` has used: {"used", "limit", "days", "exempt"} (moderators are exempt;
    the count is the quota check's own: every community submission of the window that is not exempt, withdrawn ones
    too; their submissions for their organisations count against those)."""
    days = settings.SUBMISSION_QUOTA_DAYS
    own = UserQuota.objects.filter(user=user).values_list("max_submissions", flat=True).first()
    used = ModelSubmission.objects.filter(
        user=user, quota_exempt=False, by_organisation=False, created_at__gte=timezone.now() - timedelta(days=days)
    ).count()
    limit = settings.SUBMISSION_QUOTA_PER_USER if own is None else own
    return {"used": used, "limit": limit, "days": days, "exempt": can_moderate(user)}


def annotate_voted(user: User | AnonymousUser | None, submissions: Iterable[Any]) -> list[ModelSubmission]:
    """Give each submission .voted: whether ``user`` voted for its revision (False for those that do not wait)."""
    submissions = list(submissions)
    revisions = voted(user, [s for s in submissions if s.status in VOTABLE_STATUSES])
    for submission in submissions:
        submission.voted = (submission.model_id, submission.commit_sha) in revisions
    return submissions


def voted(user: User | AnonymousUser | None, submissions: Iterable[ModelSubmission]) -> set[tuple[str, str]]:
    """The revisions (model id, commit) of ``submissions`` that ``user`` voted for."""
    if user is None or not user.is_authenticated:
        return set()
    revisions = Q()
    for submission in submissions:
        revisions |= Q(model_id=submission.model_id, commit_sha=submission.commit_sha)
    if not revisions:
        return set()
    return set(Vote.objects.filter(revisions, user=user).values_list("model_id", "commit_sha"))


def revision_voters(submission: ModelSubmission) -> list[tuple[str, bool]]:
    """(user name, whether the vote counts) of everyone who voted for ``submission``'s revision, first voters first."""
    votes = Vote.objects.filter(model_id=submission.model_id, commit_sha=submission.commit_sha)
    voters = get_user_model().objects.filter(counted_voters(), pk__in=votes.values("user"))
    counted = set(voters.values_list("pk", flat=True))
    return [
        (vote.user.username, vote.user_id in counted)
        for vote in votes.select_related("user").order_by("created_at", "pk")
    ]
