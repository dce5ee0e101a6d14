import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.services import token_create
from evaluation.models import RunStatus
from rankings.services import entry_refresh
from tests.factories import EvalRunFactory, StaffFactory, TaskResultFactory, UserFactory

ROLES = ("anonymous", "user", "other", "staff")


@pytest.fixture
def people(db):
    """The matrix's roles: 'user' owns the submissions below, 'other' is another signed-in user, 'staff' a
    moderator (with the admin's permission to change submissions)."""
    return {
        "user": UserFactory(username="alice"),
        "other": UserFactory(username="bob"),
        "staff": StaffFactory(username="mod", permissions=Permission.objects.filter(codename="change_modelsubmission")),
    }


@pytest.fixture
def api_for(people):
    """An API client for a role, authenticated with a personal token (anonymous: none)."""

    def client(role: str) -> APIClient:
        api = APIClient()
        if role != "anonymous":
            _, raw = token_create(user=people[role], name="test", scope=Scope.MODERATE)
            api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api

    return client


@pytest.fixture
def ranked(people, suites, tiny_model):
    """A finished submission of 'user' with its run, results, samples-free, ranked on the demo suite."""
    run = EvalRunFactory(
        status=RunStatus.FINISHED,
        submission__user=people["user"],
        submission__model_id="ranked-org/model",
        submission__commit_sha=tiny_model[1],
        submission__suite=suites["demo-medical"],
    )
    for i, suite_task in enumerate(suites["demo-medical"].tasks.all()):
        TaskResultFactory(run=run, task=suite_task.task, value=0.25 + i / 100, stderr=0.1)
    entry_refresh(run)
    return run.submission, run
