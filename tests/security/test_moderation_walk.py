"""Every state-changing URL and admin action, walked as each kind of user: one moderation policy (accounts.policy)
decides, and two-factor is a property of the session wherever moderation happens (findings 1, 2 and 3 of issue 22).

Each row says which actors change the state; for every other actor the request must leave it as it was."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission

from accounts.models import ApiToken, Scope
from accounts.services import token_create
from evaluation.models import EvalRun, RunStatus
from flags.models import Flag, FlagComment, FlagStatus
from submissions.models import ModelSubmission, Status
from tests.factories import EvalRunFactory, FlagFactory, ModelSubmissionFactory, StaffFactory, UserFactory, totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"
ACTORS = ["anonymous", "stranger", "submitter", "staff without the permission", "unverified moderator", "moderator"]
SIGNED_IN = set(ACTORS) - {"anonymous"}
VIEW = ["view_modelsubmission", "view_evalrun", "view_flag"]
MODERATE = [*VIEW, "change_modelsubmission", "change_flag"]


@pytest.fixture
def world(client, db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # 99 log-ins: no slow hashing
    people = {
        "stranger": UserFactory(username="stranger"),
        "submitter": UserFactory(username="submitter"),
        "staff without the permission": StaffFactory(permissions=Permission.objects.filter(codename__in=VIEW)),
        "unverified moderator": StaffFactory(permissions=Permission.objects.filter(codename__in=MODERATE)),
        "moderator": StaffFactory(permissions=Permission.objects.filter(codename__in=MODERATE)),
    }
    for user in people.values():
        user.set_password(PASSWORD)
        user.save()
    for who in ("unverified moderator", "moderator"):
        TOTP.activate(people[who], generate_totp_secret())
    submitter = people["submitter"]
    running = EvalRunFactory(status=RunStatus.RUNNING, submission__user=submitter, submission__model_id="org/running")
    _, raw = token_create(user=submitter, name="submitter's", scope=Scope.SUBMIT)
    return {
        "client": client,
        "people": people,
        "pending": ModelSubmissionFactory(user=submitter, model_id="org/pending"),
        "failed": ModelSubmissionFactory(user=submitter, model_id="org/failed", status=Status.FAILED),
        "running": running.submission,
        "run": running,
        "flag": FlagFactory(user=submitter, model_id="org/running"),
        "token": ApiToken.objects.get(user=submitter),
    }


def sign_in(world, actor):
    client = world["client"]
    if actor == "anonymous":
        return client
    user = world["people"][actor]
    if actor == "unverified moderator":  # a session that never gave the code: one that logged in before the
        client.force_login(user)  # authenticator was added (a log-in now would stop at the code)
        return client
    assert client.post("/accounts/login/", {"login": user.username, "password": PASSWORD}).status_code == 302
    if actor == "moderator":  # and the authenticator's code
        secret = user.authenticator_set.get(type="totp").data["secret"]
        assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    return client


def status(submission):
    return ModelSubmission.objects.get(pk=submission.pk).status


def admin_action(client, changelist, action, objects, **extra):
    return client.post(changelist, {"action": action, "_selected_action": [o.pk for o in objects], **extra})


SUBMISSIONS = "/admin/submissions/modelsubmission/"

# name: (the request, whether it changed the state, the actors for whom it must)
ROWS = {
    "web: cancel a running submission": (
        lambda c, w: c.post(f"/submissions/{w['running'].pk}/cancel/"),
        lambda w: status(w["running"]) == Status.CANCELLED,
        {"moderator"},
    ),
    "web: withdraw a pending submission": (
        lambda c, w: c.post(f"/submissions/{w['pending'].pk}/cancel/"),
        lambda w: status(w["pending"]) == Status.CANCELLED,
        {"submitter", "moderator"},
    ),
    "web: create a moderate token": (
        lambda c, w: c.post("/accounts/tokens/", {"name": "new", "scope": Scope.MODERATE, "expires": "30"}),
        lambda w: ApiToken.objects.filter(name="new").exists(),
        {"staff without the permission", "moderator"},  # offered to staff only; what it may do is the policy's
    ),
    "web: revoke the submitter's token": (
        lambda c, w: c.post(f"/accounts/tokens/{w['token'].pk}/revoke/"),
        lambda w: not ApiToken.objects.filter(pk=w["token"].pk).exists(),
        {"submitter"},
    ),
    "web: comment on a flag": (
        lambda c, w: c.post(f"/flags/{w['flag'].pk}/comment/", {"text": "me too"}),
        lambda w: FlagComment.objects.exists(),
        SIGNED_IN,
    ),
    "api: approve": (
        lambda c, w: c.post(f"/api/submissions/{w['pending'].pk}/approve/", {}, content_type="application/json"),
        lambda w: status(w["pending"]) == Status.QUEUED,
        {"moderator"},
    ),
    "api: reject": (
        lambda c, w: c.post(
            f"/api/submissions/{w['pending'].pk}/reject/", {"reason": "no"}, content_type="application/json"
        ),
        lambda w: status(w["pending"]) == Status.REJECTED,
        {"moderator"},
    ),
    "api: requeue": (
        lambda c, w: c.post(f"/api/submissions/{w['failed'].pk}/requeue/", {}, content_type="application/json"),
        lambda w: status(w["failed"]) == Status.QUEUED,
        {"moderator"},
    ),
    "api: cancel a running submission": (
        lambda c, w: c.post(f"/api/submissions/{w['running'].pk}/cancel/", {}, content_type="application/json"),
        lambda w: status(w["running"]) == Status.CANCELLED,
        {"moderator"},
    ),
    "admin: approve": (
        lambda c, w: admin_action(c, SUBMISSIONS, "approve", [w["pending"]]),
        lambda w: status(w["pending"]) == Status.QUEUED,
        {"moderator"},
    ),
    "admin: reject": (
        lambda c, w: admin_action(c, SUBMISSIONS, "reject", [w["pending"]], apply="Reject", reason="no"),
        lambda w: status(w["pending"]) == Status.REJECTED,
        {"moderator"},
    ),
    "admin: requeue": (
        lambda c, w: admin_action(c, SUBMISSIONS, "requeue", [w["failed"]]),
        lambda w: status(w["failed"]) == Status.QUEUED,
        {"moderator"},
    ),
    "admin: cancel": (
        lambda c, w: admin_action(c, SUBMISSIONS, "cancel", [w["running"]]),
        lambda w: status(w["running"]) == Status.CANCELLED,
        {"moderator"},
    ),
    "admin: raise priority": (
        lambda c, w: admin_action(c, SUBMISSIONS, "raise_priority", [w["pending"]]),
        lambda w: ModelSubmission.objects.get(pk=w["pending"].pk).priority > 0,
        {"moderator"},
    ),
    "admin: cancel the selected runs": (
        lambda c, w: admin_action(c, "/admin/evaluation/evalrun/", "cancel", [w["run"]]),
        lambda w: EvalRun.objects.get(pk=w["run"].pk).status == RunStatus.CANCELLED,
        {"moderator"},
    ),
    "admin: uphold a flag": (
        lambda c, w: c.post(
            f"/admin/flags/flag/{w['flag'].pk}/change/", {"status": FlagStatus.UPHELD, "moderation_note": "yes"}
        ),
        lambda w: Flag.objects.get(pk=w["flag"].pk).status == FlagStatus.UPHELD,
        {"moderator"},
    ),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("row", ROWS)
def test_only_whom_the_policy_allows_changes_anything(world, row, actor):
    request, changed, allowed = ROWS[row]
    client = sign_in(world, actor)
    response = request(client, world)
    assert response.status_code < 500
    assert changed(world) == (actor in allowed), f"{row} as {actor}: {response.status_code}"


def test_a_verified_session_is_verified_for_the_site_too(world):
    """The moderator gave the code at the log-in: the same session moderates on the site and the API."""
    client = sign_in(world, "moderator")
    assert client.post(f"/submissions/{world['running'].pk}/cancel/").status_code == 302
    assert status(world["running"]) == Status.CANCELLED
    response = client.get("/api/submissions/")
    assert {s["model_id"] for s in response.json()["results"]} >= {"org/pending", "org/failed"}  # everyone's


def test_unverified_staff_see_only_their_own_submissions(world):
    client = sign_in(world, "unverified moderator")
    assert client.get("/api/submissions/").json()["results"] == []
    page = client.get("/accounts/tokens/").content.decode()
    assert "moderate" in page
    refused = client.post("/accounts/tokens/", {"name": "m", "scope": Scope.MODERATE, "expires": "30"})
    assert refused.status_code == 400 and "two-factor" in refused.content.decode()


def test_a_moderate_token_carries_the_verification_it_was_created_with(world):
    client = sign_in(world, "moderator")
    assert client.post("/accounts/tokens/", {"name": "m", "scope": Scope.MODERATE, "expires": "30"}).status_code == 200
    raw = client.post("/accounts/tokens/", {"name": "m2", "scope": Scope.MODERATE, "expires": "30"}).context["created"]
    client.logout()
    response = client.post(
        f"/api/submissions/{world['pending'].pk}/approve/",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert response.status_code == 200 and status(world["pending"]) == Status.QUEUED
