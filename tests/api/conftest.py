import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from api.services import token_create
from evaluation.models import EvalRun, RunStatus, TaskResult
from leaderboard.services import entry_refresh
from submissions.models import ModelSubmission, Status

ROLES = ("anonymous", "user", "other", "staff")


@pytest.fixture
def people(db):
    """The matrix's roles: 'user' owns the submissions below, 'other' is another signed-in user."""
    return {
        "user": User.objects.create_user("alice", "alice@example.org", "pw-alice-123"),
        "other": User.objects.create_user("bob", "bob@example.org", "pw-bob-12345"),
        "staff": User.objects.create_user("mod", "mod@example.org", "pw-mod-12345", is_staff=True),
    }


@pytest.fixture
def api_for(people):
    """An API client for a role, authenticated with a personal token (anonymous: none)."""

    def client(role: str) -> APIClient:
        api = APIClient()
        if role != "anonymous":
            _, raw = token_create(user=people[role], name="test")
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api

    return client


@pytest.fixture
def make_submission(people, suites, tiny_model):
    def make(status: str = Status.PENDING_REVIEW, model_id: str | None = None) -> ModelSubmission:
        return ModelSubmission.objects.create(
            user=people["user"], model_id=model_id or tiny_model[0], commit_sha=tiny_model[1], precision="float32",
            suite=suites["demo-medical"], status=status,
        )  # fmt: skip

    return make


@pytest.fixture
def ranked(make_submission, suites):
    """A finished submission with its run, results, samples-free, ranked on the demo suite."""
    submission = make_submission(Status.FINISHED, model_id="ranked-org/model")
    run = EvalRun.objects.create(submission=submission, status=RunStatus.FINISHED)
    for i, suite_task in enumerate(suites["demo-medical"].tasks.all()):
        TaskResult.objects.create(run=run, task=suite_task.task, metric="acc", value=0.25 + i / 100, stderr=0.1)
    entry_refresh(run)
    return submission, run
