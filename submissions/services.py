"""Every write to submissions; their status machine is submissions.transitions.

Runs are above submissions: the steps that move a submission and its runs together (submit, the checks' end,
approve, requeue, cancel) are pipeline.intake's, built on the functions here.
"""

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F, TextChoices
from django.utils import timezone

from accounts.policy import can_moderate, submission_standing
from catalogue.models import Suite
from catalogue.precision import Precision, WeightType
from core.errors import TransitionError
from submissions.checks import CheckOutcome, checks_run
from submissions.errors import SubmissionError
from submissions.hub import ModelFacts, check_model_id
from submissions.hub_sources import submission_resolve
from submissions.models import (
    ACTIVE_STATUSES,
    BlockedModel,
    ModelSubmission,
    ModelType,
    Organisation,
    Status,
    SubmissionEvent,
    UserQuota,
)
from submissions.transitions import DUPLICATE_CONSTRAINT, submission_transition
from submissions.votes import vote_submitter

log = logging.getLogger(__name__)

CANCELLABLE = (Status.CHECKING, Status.PENDING_REVIEW, Status.QUEUED, Status.RUNNING)
SUBMITTER_CANCELLABLE = (Status.CHECKING, Status.PENDING_REVIEW, Status.QUEUED)
# The submissions an organisation's quota counts: approved by a moderator or queued without review.
ORG_QUOTA_STATUSES = (Status.QUEUED, Status.RUNNING, Status.FINISHED, Status.FAILED)
MAX_REASON_CHARS = 2000


def moderator_required(actor: User | None) -> None:
    """``actor`` None is the system (an operator's command, the hub checks); anyone else needs the policy's yes."""
    if actor is not None and not can_moderate(actor):
        raise PermissionDenied("Only a moderator (with two-factor passed in this session) can do this.")


def submission_queue(submission: ModelSubmission, *, actor: User | None, note: str, from_status: str) -> None:
    """Queue a submission that is ``from_status`` now (read under the row lock); its new run is the caller's
    (pipeline.intake), in the same transaction."""
    current = ModelSubmission.objects.select_for_update().values_list("status", flat=True).get(pk=submission.pk)
    if current != from_status:
        verbs: dict[str, str] = {Status.PENDING_REVIEW: "approved", Status.CHECKING: "queued"}
        verb = verbs.get(from_status, "requeued")
        raise TransitionError(f"a {Status(current).label} submission cannot be {verb}")
    submission_transition(submission, Status.QUEUED, actor=actor, note=note)
    ModelSubmission.objects.filter(pk=submission.pk).exclude(failure_reason="").update(failure_reason="")
    submission.failure_reason = ""  # the old reason stays in the history


def _check_choice(field: str, value: str, choices: type[TextChoices]) -> None:
    if value not in choices.values:
        raise SubmissionError(field, f"Select one of: {', '.join(choices.values)}.")


def _quota_window_start() -> datetime:
    return timezone.now() - timedelta(days=settings.SUBMISSION_QUOTA_DAYS)


def _check_quota(user: User | None, model_id: str) -> tuple[bool, bool]:
    """Refuse a submission over its quota; (by the organisation, exempt) as the policy says
    (accounts.policy.submission_standing).

    A community submission counts against its submitter's quota, which counts everything they submitted as
    community submissions (withdrawn, rejected and refused by the checks too: spam costs the spammer). A
    submission by the organisation (its verified member) counts against the organisation's quota, which counts
    only its submissions that a moderator approved or that were queued (ORG_QUOTA_STATUSES).

    Runs inside the creating transaction and holds row locks on the user, then on the
    organisation, until it commits: parallel submissions count one after another.
    """
    if user is not None:
        list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))
    org_name = model_id.split("/")[0]
    org, _ = Organisation.objects.get_or_create(name__iexact=org_name, defaults={"name": org_name})
    org = Organisation.objects.select_for_update().get(pk=org.pk)
    by_org, exempt = submission_standing(user, org.name, org_trusted=org.trusted)
    if exempt:
        return by_org, True
    since, days = _quota_window_start(), settings.SUBMISSION_QUOTA_DAYS
    counted = ModelSubmission.objects.filter(quota_exempt=False, created_at__gte=since).order_by("created_at")
    if by_org:
        limit = settings.SUBMISSION_QUOTA_PER_ORG if org.max_submissions is None else org.max_submissions
        used = counted.filter(model_id__istartswith=f"{org.name}/", by_organisation=True, status__in=ORG_QUOTA_STATUSES)
        said = f"Models of {org.name} were approved or queued {{count}} times in the last {{days}} days"
    else:
        own = UserQuota.objects.filter(user=user).values_list("max_submissions", flat=True).first()
        limit = settings.SUBMISSION_QUOTA_PER_USER if own is None else own
        used = counted.filter(user=user, by_organisation=False)
        said = "You have submitted {count} models in the last {days} days"
    count = used.count()
    if count >= limit:
        said = said.format(count=count, days=days)
        if not limit:
            raise SubmissionError(None, f"{said}; no submissions are allowed here. Ask a moderator.")
        again = used[count - limit].created_at + timedelta(days=days)  # when enough of them age out
        raise SubmissionError(
            None,
            f"{said}, the most allowed ({limit}); the next submission is possible after {again:%Y-%m-%d %H:%M} UTC.",
        )
    return by_org, False


def _duplicate_error(facts: ModelFacts, precision: str, weight_type: str, suite: Suite) -> SubmissionError:
    existing = ModelSubmission.objects.filter(
        model_id=facts.model_id,
        commit_sha=facts.commit_sha,
        precision=precision,
        weight_type=weight_type,
        suite=suite,
        status__in=ACTIVE_STATUSES,
    ).first()
    state = f" ({existing.get_status_display()})" if existing else ""
    return SubmissionError(
        "model_id",
        f"{facts.model_id} at commit {facts.commit_sha[:7]} in {precision} is already submitted to "
        f"{suite.name}{state}; it can be submitted again only if that evaluation failed or was rejected or "
        "cancelled.",
    )


@dataclass(frozen=True)
class SubmissionDraft:
    """A submission checked and resolved, not yet stored (submission_prepare, then submission_store)."""

    user: Any
    facts: ModelFacts
    fields: dict[str, Any]
    review: bool
    checked: ModelSubmission | None  # an earlier submission of this commit and settings that passed the checks


def submission_prepare(
    *,
    user: User | None,
    model_id: str,
    revision: str = "main",
    precision: str,
    suite: Suite,
    weight_type: str = WeightType.ORIGINAL,
    base_model: str = "",
    model_type: str = ModelType.PRETRAINED,
    use_chat_template: bool = False,
    think_end_token: str = "",
    review: bool | None = None,
) -> SubmissionDraft:
    """Everything a new submission needs that is cheap and bounded, before anything is stored: the form's rules,
    the revision resolved to a commit and the file list through the hub API (with a timeout), an earlier submission
    of the same commit and settings that passed the hub checks. Raises SubmissionError (HubUnavailable when the hub
    does not answer)."""
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

    think_end_token = _check_think_end_token(think_end_token)
    facts = submission_resolve(model_id, revision, weight_type=weight_type, base_model=base_model)
    return SubmissionDraft(
        user=user,
        facts=facts,
        fields={
            "revision": (revision or "main").strip(),
            "precision": precision,
            "weight_type": weight_type,
            "model_type": model_type,
            "use_chat_template": use_chat_template,
            "think_end_token": think_end_token,
            "suite": suite,
        },
        review=settings.SUBMISSIONS_NEED_REVIEW if review is None else review,
        checked=_passed_checks(facts, precision, weight_type, use_chat_template),
    )


@transaction.atomic
def submission_store(draft: SubmissionDraft) -> ModelSubmission:
    """Store a prepared submission, CHECKING, with its submitter's vote, under the quota's lock and the duplicate
    constraint, in one short transaction. Where an earlier submission of the commit passed the hub checks, their
    outcome is taken over: it moves on to PENDING_REVIEW, or QUEUED (its run is the caller's, pipeline.intake)."""
    user, facts, fields, checked = draft.user, draft.facts, draft.fields, draft.checked
    by_organisation, quota_exempt = _check_quota(user, facts.model_id)
    try:
        with transaction.atomic():
            submission = ModelSubmission.objects.create(
                user=user,
                model_id=facts.model_id,
                commit_sha=facts.commit_sha,
                base_model=facts.base_model,
                facts=facts.as_dict(),
                quota_exempt=quota_exempt,
                by_organisation=by_organisation,
                needs_review=draft.review,
                **fields,
            )
    except IntegrityError as exc:
        if DUPLICATE_CONSTRAINT not in str(exc):
            raise
        raise _duplicate_error(facts, fields["precision"], fields["weight_type"], fields["suite"]) from None
    SubmissionEvent.objects.create(submission=submission, actor=user, to_status=Status.CHECKING)
    vote_submitter(submission)
    if checked is not None:
        submission_checks_store(
            submission,
            CheckOutcome(facts={**checked.facts, **_fresh(facts)}),
            note=f"the hub checks passed for submission {checked.pk} of this commit",
        )
    return submission


THINK_END_TOKEN = re.compile(r"^[^\s,=]{1,32}$")


def _check_think_end_token(value: str) -> str:
    """It travels in lm-eval's model_args (``key=value,...``): no comma, equals sign or space."""
    value = (value or "").strip()
    if value and not THINK_END_TOKEN.match(value):
        raise SubmissionError(
            "think_end_token", "The end-of-thinking marker is up to 32 characters, without spaces, commas or '='."
        )
    return value


def _fresh(facts: ModelFacts) -> dict[str, Any]:
    """What the hub says now (the cheap part of the facts), over an earlier check's."""
    return {key: getattr(facts, key) for key in ("likes", "private", "gated")}


def _passed_checks(
    facts: ModelFacts, precision: str, weight_type: str, use_chat_template: bool
) -> ModelSubmission | None:
    """An earlier submission of the same commit with the same settings that passed the hub checks, or None."""
    return (
        ModelSubmission.objects.filter(
            model_id=facts.model_id,
            commit_sha=facts.commit_sha,
            precision=precision,
            weight_type=weight_type,
            use_chat_template=use_chat_template,
            base_model=facts.base_model,
            facts__base_commit_sha=facts.base_commit_sha,
            events__from_status=Status.CHECKING,
            events__to_status__in=[Status.PENDING_REVIEW, Status.QUEUED],
        )
        .order_by("-created_at")
        .first()
    )


def submission_checks_run(submission: ModelSubmission) -> CheckOutcome:
    """Run a CHECKING submission's hub checks, tried CHECKS_ATTEMPTS times, CHECKS_RETRY_S apart, while they could
    not run (the hub did not answer, a limit was hit); stores nothing (submission_checks_store does)."""
    attempts = settings.CHECKS_ATTEMPTS
    for attempt in range(1, attempts + 1):
        outcome = checks_run(submission)
        if not outcome.trouble:
            return outcome
        log.warning("checks of submission %s, attempt %s of %s: %s", submission.pk, attempt, attempts, outcome.trouble)
        if attempt < attempts:
            time.sleep(settings.CHECKS_RETRY_S)
    return CheckOutcome(
        refusal=f"The hub checks could not run: {outcome.trouble} ({attempts} attempts). Submit the model again "
        "later; this submission does not count against its organisation's quota."
    )


@transaction.atomic
def submission_checks_store(submission: ModelSubmission, outcome: CheckOutcome, *, note: str = "") -> bool:
    """CHECKING -> PENDING_REVIEW (QUEUED when it needs no review), or REJECTED with the check's message. True when
    it queued the submission (whose run is then the caller's, pipeline.intake, in the same transaction)."""
    current = ModelSubmission.objects.select_for_update().values_list("status", flat=True).get(pk=submission.pk)
    if current != Status.CHECKING:  # withdrawn meanwhile, or a second delivery
        submission.status = current
        return False
    if outcome.facts is None:
        reason = outcome.refusal[:MAX_REASON_CHARS]
        ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason=reason)
        submission.failure_reason = reason
        submission_transition(submission, Status.REJECTED, note=reason)
        return False
    ModelSubmission.objects.filter(pk=submission.pk).update(facts=outcome.facts)
    submission.facts = outcome.facts
    note = note or "the hub checks passed"
    if submission.needs_review:
        submission_transition(submission, Status.PENDING_REVIEW, note=note)
        return False
    submission_queue(submission, actor=None, note=f"{note}; queued without review", from_status=Status.CHECKING)
    return True


@transaction.atomic
def submission_reject(submission: ModelSubmission, *, actor: User | None, reason: str) -> None:
    """Refuse a pending submission; the submitter sees the reason (and is emailed it)."""
    moderator_required(actor)
    reason = (reason or "").strip()
    if not reason:
        raise TransitionError("a rejection needs a reason the submitter can read")
    submission_transition(submission, Status.REJECTED, actor=actor, note=reason)
    ModelSubmission.objects.filter(pk=submission.pk).update(failure_reason=reason)
    submission.failure_reason = reason


def submission_can_cancel(submission: ModelSubmission, user: User | AnonymousUser | None) -> bool:
    """Moderators cancel anything pending, queued or running; the submitter only what has not started."""
    if user is None or not user.is_authenticated:
        return False
    if can_moderate(user):
        return submission.status in CANCELLABLE
    return submission.user_id == user.pk and submission.status in SUBMITTER_CANCELLABLE


def submission_cancel_note(submission: ModelSubmission, *, actor: User | None, note: str = "") -> str:
    """Whether ``actor`` may cancel the submission now (PermissionDenied, TransitionError when not), and the note
    its history gets. The submitter withdraws a pending or queued submission; a moderator (accounts.policy) cancels
    one at any time before it ends. The cancelling itself, runs first, is pipeline.intake.submission_cancel."""
    moderator = can_moderate(actor)
    if not (moderator or (actor is not None and submission.user_id and submission.user_id == actor.pk)):
        raise PermissionDenied("Only the submitter or a moderator can cancel a submission.")
    if not moderator and submission.status == Status.RUNNING:
        raise TransitionError("its evaluation has started; ask a moderator to stop it")
    return note or ("cancelled by a moderator" if moderator else "withdrawn")


@transaction.atomic
def submission_raise_priority(submission: ModelSubmission, *, by: int = 1) -> None:
    """Move a submission ahead of the equal-priority ones in the queue."""
    ModelSubmission.objects.filter(pk=submission.pk).update(priority=F("priority") + by)
    submission.refresh_from_db(fields=["priority"])
