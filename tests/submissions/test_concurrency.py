"""Parallel submits on real Postgres (threads, each its own connection, committed transactions)."""

import pytest
from django.contrib.auth.models import User

from submissions.errors import SubmissionError
from submissions.models import ModelSubmission, Status
from tests.conftest import in_parallel
from tests.factories import hub_member

pytestmark = pytest.mark.django_db(transaction=True)
N = 20


@pytest.fixture
def submit(submit):
    """What the web request does under concurrency: its submissions stay CHECKING (no checks run here)."""
    return lambda user, model_id, **fields: submit(user, model_id, check_now=False, **fields)


@pytest.fixture(scope="module")
def models(hub):
    return [(model_id, hub.build(model_id)) for model_id in (f"i3-quota/m{i}" for i in range(N))]


def split(outcomes):
    created = [o for o in outcomes if isinstance(o, ModelSubmission)]
    refused = [o for o in outcomes if isinstance(o, SubmissionError)]
    assert len(created) + len(refused) == N, [o for o in outcomes if o not in created and o not in refused]
    return created, refused


@pytest.mark.parametrize("staff", [False, True], ids=["users (row locks)", "staff (no locks: the constraint alone)"])
def test_concurrent_submits_of_one_model_create_one_submission(models, suite, submit, staff):
    users = [User.objects.create_user(f"u{i}", is_staff=staff) for i in range(N)]
    created, refused = split(in_parallel(N, lambda i: submit(users[i], models[0][0])))
    assert len(created) == 1
    assert all("already submitted" in exc.message for exc in refused)
    assert ModelSubmission.objects.count() == 1


def test_concurrent_submits_of_different_models_by_one_user_never_exceed_the_quota(models, suite, submit, settings):
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 5, 1000
    user = User.objects.create_user("busy")
    created, refused = split(in_parallel(N, lambda i: submit(user, models[i][0])))
    assert len(created) == 5
    assert all("You have submitted 5 models" in exc.message for exc in refused)
    assert ModelSubmission.objects.filter(user=user).count() == 5


def test_concurrent_submits_of_one_organisations_models_never_exceed_its_quota(models, suite, submit, settings):
    """The organisation's quota counts its members' approved or queued submissions: with its quota used up, every
    one of 20 parallel submits by its members is refused, and none of them counts (refused in the request, nothing
    is stored)."""
    settings.SUBMISSION_QUOTA_PER_USER, settings.SUBMISSION_QUOTA_PER_ORG = 1000, 5
    users = [User.objects.create_user(f"u{i}") for i in range(N)]
    for member in users:
        hub_member(member, "i3-quota")
    for i in range(5):
        ModelSubmission.objects.filter(pk=submit(users[i], models[i][0]).pk).update(status=Status.QUEUED)
    created, refused = split(in_parallel(N, lambda i: submit(users[i], models[i][0], precision="float16")))
    assert not created
    assert all("Models of i3-quota were approved or queued 5 times" in exc.message for exc in refused)
    assert ModelSubmission.objects.count() == 5
