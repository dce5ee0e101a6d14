"""Who may do what: every view that writes, for anonymous, the user, another user and a moderator (staff)."""

import pytest

from pipeline.intake import submission_approve
from submissions.models import BlockedModel, ModelSubmission, Organisation, Status
from tests.factories import ModelSubmissionFactory, StaffFactory

pytestmark = pytest.mark.django_db
ACTORS = ["anonymous", "user", "another user", "staff"]
ADMIN_LIST = "/admin/submissions/modelsubmission/"


@pytest.fixture
def world(client, suite, user, other_user, staff, hub):
    hub.build("i3-perm/valid")
    return {"client": client, "users": {"user": user, "another user": other_user, "staff": staff}}


def as_actor(world, actor):
    if actor != "anonymous":
        world["client"].force_login(world["users"][actor])
    return world["client"]


def status_of(submission):
    return ModelSubmission.objects.get(pk=submission.pk).status


def denied_to_anonymous(response, login="/accounts/login/"):
    return response.status_code == 302 and response["Location"].startswith(login)


# (the write, what each actor gets: "ok" or the kind of refusal)
MATRIX = {
    "submit": {"anonymous": "login", "user": "ok", "another user": "ok", "staff": "ok"},
    "cancel own submission": {"anonymous": "login", "user": "ok", "another user": "forbidden", "staff": "ok"},
    "admin approve": {"anonymous": "admin login", "user": "admin login", "another user": "admin login", "staff": "ok"},
    "admin reject": {"anonymous": "admin login", "user": "admin login", "another user": "admin login", "staff": "ok"},
    "admin requeue": {"anonymous": "admin login", "user": "admin login", "another user": "admin login", "staff": "ok"},
    "admin cancel": {"anonymous": "admin login", "user": "admin login", "another user": "admin login", "staff": "ok"},
    "admin raise priority": {
        "anonymous": "admin login",
        "user": "admin login",
        "another user": "admin login",
        "staff": "ok",
    },
    "admin trust an organisation": {
        "anonymous": "admin login",
        "user": "admin login",
        "another user": "admin login",
        "staff": "ok",
    },
    "admin block a model": {
        "anonymous": "admin login",
        "user": "admin login",
        "another user": "admin login",
        "staff": "ok",
    },
    "change password": {"anonymous": "login", "user": "ok", "another user": "ok", "staff": "ok"},
}


def do_submit(world, client):
    response = client.post(
        "/submit/",
        {
            "model_id": "i3-perm/valid",
            "revision": "main",
            "precision": "float32",
            "weight_type": "Original",
            "model_type": "pretrained",
            "suite": "demo-medical",
        },
    )
    return response, ModelSubmission.objects.filter(model_id="i3-perm/valid").first()


def check_submit(world, actor, outcome, response, created):
    if outcome == "ok":
        assert response.status_code == 302 and created.user == world["users"][actor]
    else:
        assert denied_to_anonymous(response) and created is None


def admin_action(action, start_status, done_status, **extra):
    def do(world, client):
        submission = ModelSubmissionFactory(user=world["users"]["user"], status=start_status)
        if start_status == Status.QUEUED:
            ModelSubmission.objects.filter(pk=submission.pk).update(status=Status.PENDING_REVIEW)
            submission_approve(submission, actor=None)
        response = client.post(ADMIN_LIST, {"action": action, "_selected_action": [submission.pk], **extra})
        return response, submission

    def check(world, actor, outcome, response, submission):
        if outcome == "ok":
            assert response.status_code == 302 and status_of(submission) == done_status
        else:
            assert denied_to_anonymous(response, "/admin/login/") and status_of(submission) == start_status

    return do, check


def do_cancel(world, client):
    submission = ModelSubmissionFactory(user=world["users"]["user"])
    return client.post(f"/submissions/{submission.pk}/cancel/"), submission


def check_cancel(world, actor, outcome, response, submission):
    if outcome == "ok":
        assert response.status_code == 302 and status_of(submission) == Status.CANCELLED
    elif outcome == "forbidden":
        assert response.status_code == 403 and status_of(submission) == Status.PENDING_REVIEW
    else:
        assert denied_to_anonymous(response) and status_of(submission) == Status.PENDING_REVIEW


def do_priority(world, client):
    submission = ModelSubmissionFactory(user=world["users"]["user"])
    return client.post(ADMIN_LIST, {"action": "raise_priority", "_selected_action": [submission.pk]}), submission


def check_priority(world, actor, outcome, response, submission):
    priority = ModelSubmission.objects.get(pk=submission.pk).priority
    if outcome == "ok":
        assert response.status_code == 302 and priority == 1
    else:
        assert denied_to_anonymous(response, "/admin/login/") and priority == 0


def do_trust(world, client):
    org = Organisation.objects.create(name="lab")
    response = client.post(
        f"/admin/submissions/organisation/{org.pk}/change/", {"name": "lab", "trusted": "on", "note": ""}
    )
    return response, org


def check_trust(world, actor, outcome, response, org):
    org.refresh_from_db()
    if outcome == "ok":
        assert response.status_code == 302 and org.trusted
    else:
        assert denied_to_anonymous(response, "/admin/login/") and not org.trusted


def do_block(world, client):
    return client.post("/admin/submissions/blockedmodel/add/", {"model_id": "org/bad", "reason": "no"}), None


def check_block(world, actor, outcome, response, _):
    if outcome == "ok":
        assert response.status_code == 302 and BlockedModel.objects.filter(model_id="org/bad").exists()
    else:
        assert denied_to_anonymous(response, "/admin/login/") and not BlockedModel.objects.exists()


def do_password(world, client):
    response = client.post("/accounts/password/change/", {"oldpassword": "ignored", "password1": "x", "password2": "x"})
    return response, None


def check_password(world, actor, outcome, response, _):
    if outcome == "ok":  # a logged-in user reaches the form (a wrong old password or a short new one is its error;
        # a user without a password, as the hub signs them up, is sent to set one)
        assert (
            response.status_code == 200
            and b"too short" in response.content
            or (response.status_code == 302 and response["Location"] == "/accounts/password/set/")
        )
    else:
        assert denied_to_anonymous(response)


WRITES = {
    "submit": (do_submit, check_submit),
    "cancel own submission": (do_cancel, check_cancel),
    "admin approve": admin_action("approve", Status.PENDING_REVIEW, Status.QUEUED),
    "admin reject": admin_action("reject", Status.PENDING_REVIEW, Status.REJECTED, apply="Reject", reason="no"),
    "admin requeue": admin_action("requeue", Status.FAILED, Status.QUEUED),
    "admin cancel": admin_action("cancel", Status.QUEUED, Status.CANCELLED),
    "admin raise priority": (do_priority, check_priority),
    "admin trust an organisation": (do_trust, check_trust),
    "admin block a model": (do_block, check_block),
    "change password": (do_password, check_password),
}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("write", list(MATRIX))
def test_permission_matrix(world, write, actor):
    do, check = WRITES[write]
    client = as_actor(world, actor)
    response, obj = do(world, client)
    check(world, actor, MATRIX[write][actor], response, obj)


def test_staff_without_the_submissions_permissions_cannot_moderate(client, user):
    helper = StaffFactory(username="helper")
    submission = ModelSubmissionFactory(user=user)
    client.force_login(helper)
    response = client.post(ADMIN_LIST, {"action": "approve", "_selected_action": [submission.pk]})
    assert response.status_code == 403 and status_of(submission) == Status.PENDING_REVIEW


def test_cancel_asks_first_and_acts_only_on_post(client, user):
    submission = ModelSubmissionFactory(user=user)
    client.force_login(user)
    asked = client.get(f"/submissions/{submission.pk}/cancel/")
    assert asked.status_code == 200 and b"still counts against your quota" in asked.content
    assert b"<strong>1 of " in asked.content  # this submission, counted
    assert client.post("/submissions/999999/cancel/").status_code == 404
    assert status_of(submission) == Status.PENDING_REVIEW


def test_cancelling_what_has_ended_is_a_message_not_an_error(client, user):
    submission = ModelSubmissionFactory(user=user, status=Status.FINISHED)
    client.force_login(user)
    response = client.post(f"/submissions/{submission.pk}/cancel/", follow=True)
    assert response.status_code == 200 and b"cannot be cancelled" in response.content
    assert status_of(submission) == Status.FINISHED


def test_the_submitter_cannot_stop_a_running_evaluation_but_staff_can(client, user, staff):
    submission = ModelSubmissionFactory(user=user, status=Status.RUNNING)
    client.force_login(user)
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert f"/submissions/{submission.pk}/cancel/" not in page
    response = client.post(f"/submissions/{submission.pk}/cancel/", follow=True)
    assert b"ask a moderator" in response.content
    submission.refresh_from_db()
    assert submission.status == Status.RUNNING
    client.force_login(staff)
    client.post(f"/submissions/{submission.pk}/cancel/")
    submission.refresh_from_db()
    assert submission.status == Status.CANCELLED
