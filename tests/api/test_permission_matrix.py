"""Every endpoint and method of the API, for every role, against api.permissions.MATRIX."""

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.services import token_create, token_revoke
from api import urls as api_urls
from api.permissions import MATRIX, OWNER, PUBLIC, STAFF
from submissions.models import ModelSubmission, Status
from submissions.votes import vote_cast
from tests.api.conftest import ROLES
from tests.factories import FlagFactory, ModelSubmissionFactory
from tests.ranked import rank_model, uniform

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def expected_status(rule: str, role: str, success: int) -> int:
    if rule == PUBLIC:
        return success
    if role == "anonymous":
        return 401
    if rule == STAFF and role != "staff":
        return 403
    if rule == OWNER and role == "other":
        return 404
    return success


def call(endpoint: str, method: str, role: str, *, ranked, people, tiny_model):
    """Set up what makes the call valid, then return (url, payload, status of a success)."""
    submission, run = ranked
    flag = FlagFactory(model_id=submission.model_id)  # by someone outside the roles, so that every role may flag too

    def owned(status=Status.PENDING_REVIEW) -> int:
        return ModelSubmissionFactory(user=people["user"], status=status).pk

    def voted_for() -> int:
        """A waiting submission the role can vote for (POST) or has voted for (DELETE)."""
        pk = owned()
        if method == "DELETE" and role != "anonymous":
            vote_cast(user=people[role], submission=ModelSubmission.objects.get(pk=pk))
        return pk

    task = run.submission.suite.tasks.first().task
    setups = {
        "schema": lambda: (reverse("api-schema"), None, 200),
        "docs": lambda: (reverse("api-docs"), None, 200),
        "suites": lambda: (reverse("api-suites"), None, 200),
        "suite": lambda: (reverse("api-suite", args=["demo-medical"]), None, 200),
        "leaderboard": lambda: (reverse("api-leaderboard", args=["demo-medical"]), None, 200),
        "compare": lambda: (
            reverse("api-compare", args=["demo-medical"])
            + "?"
            + urlencode(
                {
                    "models": f"{submission.model_id},{rank_model(run.submission.suite, 'org/other', uniform(run.submission.suite, 0.4)).model_id}"
                }
            ),
            None,
            200,
        ),
        "model": lambda: (reverse("api-model", args=submission.model_id.split("/")), None, 200),
        "samples": lambda: (reverse("api-samples", args=[run.pk, task]), None, 200),
        "flags": lambda: (
            reverse("api-flags"),
            {"model_id": submission.model_id, "reason": "contamination", "explanation": "It saw MedQA's test set."},
            201 if method == "POST" else 200,
        ),
        "flag": lambda: (reverse("api-flag", args=[flag.pk]), None, 200),
        "flag-comments": lambda: (reverse("api-flag-comments", args=[flag.pk]), {"text": "Agreed."}, 201),
        "submissions": lambda: (
            reverse("api-submissions"),
            {"model_id": tiny_model[0], "precision": "bfloat16", "suite": "demo-medical"},
            201 if method == "POST" else 200,
        ),
        "submission": lambda: (reverse("api-submission", args=[owned()]), None, 200),
        "me": lambda: (reverse("api-me"), None, 200),
        "submission-cancel": lambda: (reverse("api-submission-cancel", args=[owned()]), {}, 200),
        "submission-vote": lambda: (
            reverse("api-submission-vote", args=[voted_for()]),
            None,
            201 if method == "POST" else 200,
        ),
        "submission-approve": lambda: (reverse("api-submission-approve", args=[owned()]), {}, 200),
        "submission-reject": lambda: (
            reverse("api-submission-reject", args=[owned()]),
            {"reason": "Not a medical model."},
            200,
        ),
        "submission-requeue": lambda: (reverse("api-submission-requeue", args=[owned(Status.FAILED)]), {}, 200),
    }
    return setups[endpoint]()


CASES = [(endpoint, method, role) for endpoint, rules in MATRIX.items() for method in rules for role in ROLES]


@pytest.mark.parametrize("endpoint,method,role", CASES)
def test_matrix(endpoint, method, role, api_for, ranked, people, tiny_model):
    url, payload, success = call(endpoint, method, role, ranked=ranked, people=people, tiny_model=tiny_model)
    body = json.dumps(payload) if payload is not None else ""
    response = api_for(role).generic(method, url, data=body, content_type="application/json")
    expected = expected_status(MATRIX[endpoint][method], role, success)
    assert response.status_code == expected, (endpoint, method, role, response.content[:300])


@pytest.mark.parametrize("endpoint", MATRIX)
def test_unlisted_methods_answer_405(endpoint, api_for, ranked, people, tiny_model):
    url, _, _ = call(endpoint, "GET", "staff", ranked=ranked, people=people, tiny_model=tiny_model)
    staff = api_for("staff")
    for method in set(METHODS) - set(MATRIX[endpoint]):
        assert staff.generic(method, url).status_code == 405, (endpoint, method)


def test_the_matrix_covers_every_api_url():
    assert {pattern.name.removeprefix("api-") for pattern in api_urls.urlpatterns} == set(MATRIX)


def test_a_revoked_or_wrong_token_is_refused(people):
    token, raw = token_create(user=people["user"], name="ci", scope=Scope.READ)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(reverse("api-submissions")).status_code == 200
    assert token_revoke(user=people["user"], token_id=token.pk)
    response = api.get(reverse("api-submissions"))
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    api.credentials(HTTP_AUTHORIZATION="Bearer mlb_not-a-token")
    assert api.get(reverse("api-submissions")).status_code == 401
