"""The one status machine: every move of the table, allowed and refused, with its history row."""

import itertools
import json

import pytest
from django.utils import timezone

from core.bulk import ids_take
from core.errors import TransitionError
from evaluation.models import EvalRun, RunStatus
from pipeline.intake import submission_approve, submission_requeue
from submissions.models import ModelSubmission, Status, SubmissionEvent
from submissions.services import submission_reject
from submissions.transitions import (
    TRANSITIONS,
    Leg,
    submission_transition,
    submissions_create_bulk,
    submissions_move_bulk,
)
from tests.factories import ModelSubmissionFactory

pytestmark = pytest.mark.django_db

ALLOWED = {
    (Status.CHECKING, Status.PENDING_REVIEW),
    (Status.CHECKING, Status.QUEUED),  # the hub checks passed
    (Status.CHECKING, Status.REJECTED),
    (Status.CHECKING, Status.CANCELLED),  # they refused it; withdrawn
    (Status.PENDING_REVIEW, Status.QUEUED),
    (Status.PENDING_REVIEW, Status.REJECTED),
    (Status.PENDING_REVIEW, Status.CANCELLED),
    (Status.QUEUED, Status.RUNNING),
    (Status.QUEUED, Status.CANCELLED),
    (Status.RUNNING, Status.FINISHED),
    (Status.RUNNING, Status.FAILED),
    (Status.RUNNING, Status.CANCELLED),
    (Status.RUNNING, Status.QUEUED),  # the reaper gives a run whose worker died another attempt
    (Status.FAILED, Status.QUEUED),
}


def test_the_table_is_the_documented_one():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED
    assert set(TRANSITIONS) == set(Status.values)


@pytest.mark.parametrize("from_status,to_status", list(itertools.product(Status.values, repeat=2)))
def test_every_move(staff, from_status, to_status, django_capture_on_commit_callbacks):
    submission = ModelSubmissionFactory(status=from_status)
    if (from_status, to_status) in ALLOWED:
        with django_capture_on_commit_callbacks(execute=True):
            submission_transition(submission, to_status, actor=staff, note="a note")
        submission.refresh_from_db()
        assert submission.status == to_status
        event = SubmissionEvent.objects.get(submission=submission)
        assert (event.actor, event.from_status, event.to_status, event.note) == (
            staff,
            from_status,
            to_status,
            "a note",
        )
        assert event.created_at is not None
    else:
        with pytest.raises(TransitionError, match="cannot become"):
            submission_transition(submission, to_status, actor=staff)
        submission.refresh_from_db()
        assert submission.status == from_status
        assert not SubmissionEvent.objects.exists()


def test_a_stale_object_cannot_skip_the_table():
    """The function reads the status under a lock, not from the (possibly stale) object it is given."""
    submission = ModelSubmissionFactory(status=Status.QUEUED)
    stale = ModelSubmission.objects.get(pk=submission.pk)
    submission_transition(submission, Status.CANCELLED)
    with pytest.raises(TransitionError):
        submission_transition(stale, Status.RUNNING)
    assert ModelSubmission.objects.get(pk=submission.pk).status == Status.CANCELLED


def test_approve_queues_a_run(staff):
    submission = ModelSubmissionFactory(status=Status.PENDING_REVIEW)
    submission_approve(submission, actor=staff)
    assert submission.status == Status.QUEUED
    assert submission.runs.get().status == RunStatus.QUEUED


def test_reject_needs_a_reason_and_keeps_it(staff):
    submission = ModelSubmissionFactory(status=Status.PENDING_REVIEW)
    with pytest.raises(TransitionError, match="needs a reason"):
        submission_reject(submission, actor=staff, reason="  ")
    submission_reject(submission, actor=staff, reason="Not a medical model.")
    submission.refresh_from_db()
    assert (submission.status, submission.failure_reason) == (Status.REJECTED, "Not a medical model.")
    assert submission.events.get().note == "Not a medical model."


def test_requeue_after_failure_clears_the_reason_and_adds_a_run(staff):
    submission = ModelSubmissionFactory(status=Status.FAILED, failure_reason="out of GPU memory")
    submission_requeue(submission, actor=staff)
    submission.refresh_from_db()
    assert (submission.status, submission.failure_reason) == (Status.QUEUED, "")
    assert EvalRun.objects.filter(submission=submission).count() == 1


def test_requeue_refused_while_an_identical_submission_is_active(staff):
    failed = ModelSubmissionFactory(status=Status.FAILED)
    ModelSubmissionFactory(model_id=failed.model_id, commit_sha=failed.commit_sha, suite=failed.suite)
    with pytest.raises(TransitionError, match="identical submission"):
        submission_requeue(failed, actor=staff)
    failed.refresh_from_db()
    assert failed.status == Status.FAILED and not failed.events.exists() and not failed.runs.exists()


@pytest.mark.parametrize("status", [Status.FINISHED, Status.REJECTED, Status.CANCELLED, Status.QUEUED])
def test_requeue_only_after_failure(staff, status):
    submission = ModelSubmissionFactory(status=status)
    with pytest.raises(TransitionError):
        submission_requeue(submission, actor=staff)
    assert not submission.runs.exists()


# --- the bulk functions an import writes through -------------------------------------------------------


def _new_fields(template: ModelSubmission, model_id: str) -> dict:
    [submission_id] = ids_take(model=ModelSubmission, count=1)
    now = timezone.now()
    return {
        "id": submission_id,
        "user": template.user_id,
        "model_id": model_id,
        "commit_sha": "a" * 40,
        "precision": "float32",
        "suite": template.suite_id,
        "facts": json.dumps(template.facts),
        "created_at": now,
        "updated_at": now,
    }


def test_bulk_creation_writes_every_step_of_the_way_as_a_history_row():
    template, now = ModelSubmissionFactory(), timezone.now()
    fields = _new_fields(template, "org/bulk")
    legs = [Leg(Status.PENDING_REVIEW, now, "made elsewhere"), Leg(Status.FINISHED, now, "ran elsewhere")]
    assert submissions_create_bulk(submissions=[fields], histories=[legs], actor_id=None) == 1
    made = ModelSubmission.objects.get(pk=fields["id"])
    assert made.status == Status.FINISHED
    steps = list(made.events.order_by("pk").values_list("from_status", "to_status", "note"))
    assert steps == [
        ("", Status.PENDING_REVIEW, "made elsewhere"),
        (Status.PENDING_REVIEW, Status.QUEUED, "ran elsewhere"),
        (Status.QUEUED, Status.RUNNING, "ran elsewhere"),
        (Status.RUNNING, Status.FINISHED, "ran elsewhere"),
    ]


@pytest.mark.parametrize(
    "goals",
    [
        [Status.FINISHED],  # not a status a submission is created in
        [Status.PENDING_REVIEW, Status.REJECTED, Status.QUEUED],  # nothing leaves REJECTED
        [],
    ],
)
def test_bulk_creation_refuses_a_history_the_machine_forbids_and_writes_nothing(goals):
    template, now = ModelSubmissionFactory(), timezone.now()
    before = ModelSubmission.objects.count(), SubmissionEvent.objects.count()
    good = [Leg(Status.PENDING_REVIEW, now, "fine")]
    bad = [Leg(goal, now, "made elsewhere") for goal in goals]
    with pytest.raises(TransitionError):
        submissions_create_bulk(
            submissions=[_new_fields(template, "org/good"), _new_fields(template, "org/bad")],
            histories=[good, bad],
            actor_id=None,
        )
    assert (ModelSubmission.objects.count(), SubmissionEvent.objects.count()) == before


def test_bulk_moves_follow_the_machine_from_the_status_read_under_the_lock():
    failed = ModelSubmissionFactory(status=Status.FAILED)
    finished = ModelSubmissionFactory(status=Status.FINISHED)
    now = timezone.now()
    legs = {s.pk: Leg(Status.FINISHED, now, "more results") for s in (failed, finished)}
    assert submissions_move_bulk(legs=legs, actor_id=None) == 1
    failed.refresh_from_db()
    assert failed.status == Status.FINISHED
    assert list(failed.events.order_by("pk").values_list("from_status", "to_status")) == [
        (Status.FAILED, Status.QUEUED),
        (Status.QUEUED, Status.RUNNING),
        (Status.RUNNING, Status.FINISHED),
    ]
    assert not finished.events.exists()  # already there: no move, no row
    rejected = ModelSubmissionFactory(status=Status.REJECTED)
    with pytest.raises(TransitionError):
        submissions_move_bulk(legs={rejected.pk: Leg(Status.FINISHED, now, "no")}, actor_id=None)
    rejected.refresh_from_db()
    assert rejected.status == Status.REJECTED and not rejected.events.exists()
