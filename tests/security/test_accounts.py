"""Accounts and tokens that hold: a new password revokes tokens and other sessions, tokens expire and have a
scope, API moderation needs the admin's permission, django-q2's admin is for superusers."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiToken, Scope
from accounts.services import token_create
from submissions.models import ModelSubmission, Status
from tests.conftest import queued_tasks_run

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"
NEW = "another-passphrase-7"


def api(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)


@pytest.fixture
def submission(alice, suites):
    return ModelSubmission.objects.create(
        user=alice,
        model_id="org/model",
        commit_sha="a" * 40,
        precision="float32",
        suite=suites["demo-medical"],
        status=Status.PENDING_REVIEW,
    )


def moderator(name: str, *, permission: bool) -> User:
    user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
    if permission:
        user.user_permissions.add(Permission.objects.get(codename="change_modelsubmission"))
    return user


def test_changing_the_password_revokes_tokens_and_other_sessions(client, alice):
    _, raw = token_create(user=alice, name="ci", scope=Scope.SUBMIT)
    assert api(raw).get("/api/submissions/").status_code == 200
    other = Client()
    other.force_login(alice)
    client.force_login(alice)
    response = client.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": NEW, "password2": NEW})
    assert response.status_code == 302
    assert b"Your API tokens were revoked" in client.get(response["Location"]).content
    assert api(raw).get("/api/submissions/").status_code == 401 and not ApiToken.objects.exists()
    assert client.get("/accounts/profile/").status_code == 200  # this session stays
    assert other.get("/accounts/profile/").status_code == 302  # the others are signed out


def test_resetting_the_password_revokes_tokens_and_sessions(
    client, alice, mailoutbox, settings, django_capture_on_commit_callbacks
):
    _, raw = token_create(user=alice, name="ci", scope=Scope.READ)
    other = Client()
    other.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "alice@example.org"})
    queued_tasks_run(settings.CHECKS_CLUSTER)
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/password/reset/key/\S+/)", mailoutbox[0].body).group(1)
    form = client.get(link, follow=True)
    done = client.post(form.redirect_chain[-1][0], {"password1": NEW, "password2": NEW})
    assert done.status_code == 302
    assert api(raw).get("/api/submissions/").status_code == 401 and not ApiToken.objects.exists()
    assert other.get("/accounts/profile/").status_code == 302


def test_an_expired_token_is_refused_with_a_clear_message(alice):
    _, live = token_create(user=alice, name="live", scope=Scope.READ, expires_at=timezone.now() + timedelta(days=1))
    _, dead = token_create(user=alice, name="dead", scope=Scope.READ, expires_at=timezone.now() - timedelta(seconds=1))
    assert api(live).get("/api/submissions/").status_code == 200
    refused = api(dead).get("/api/submissions/")
    assert refused.status_code == 401 and "expired" in refused.json()["detail"]


def test_the_token_page_sets_scope_and_expiry_and_is_never_cached(client, alice):
    client.force_login(alice)
    page = client.get("/accounts/tokens/")
    assert "no-cache" in page["Cache-Control"] and "no-store" in page["Cache-Control"]
    client.post("/accounts/tokens/", {"name": "ci", "scope": "submit", "expires": "30"})
    token = ApiToken.objects.get()
    assert token.scope == Scope.SUBMIT
    assert timedelta(days=29) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert client.post("/accounts/tokens/", {"name": "x", "scope": "root"}).status_code == 400


def test_a_read_token_cannot_write_and_a_submit_token_cannot_moderate(alice, submission):
    _, read = token_create(user=alice, name="r", scope=Scope.READ)
    refused = api(read).post(f"/api/submissions/{submission.pk}/cancel/", {"note": ""}, format="json")
    assert refused.status_code == 403 and "scope" in refused.json()["detail"]
    assert api(read).get(f"/api/submissions/{submission.pk}/").status_code == 200
    flag = api(read).post(
        "/api/flags/", {"model_id": "org/model", "reason": "other", "explanation": "x"}, format="json"
    )
    assert flag.status_code == 403

    staff = moderator("mod", permission=True)
    _, submit = token_create(user=staff, name="s", scope=Scope.SUBMIT)
    assert api(submit).post(f"/api/submissions/{submission.pk}/approve/", {}, format="json").status_code == 403
    assert api(submit).post(f"/api/submissions/{submission.pk}/cancel/", {}, format="json").status_code == 403
    _, moderate = token_create(user=staff, name="m", scope=Scope.MODERATE)
    approved = api(moderate).post(f"/api/submissions/{submission.pk}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == Status.QUEUED

    _, own = token_create(user=alice, name="s", scope=Scope.SUBMIT)  # the submitter cancels with "submit"
    assert api(own).post(f"/api/submissions/{submission.pk}/cancel/", {}, format="json").status_code == 200


@pytest.mark.parametrize("action", ["approve", "reject", "requeue", "cancel"])
def test_staff_without_the_admins_permission_cannot_moderate_through_the_api(submission, action):
    staff = moderator("helper", permission=False)
    _, raw = token_create(user=staff, name="m", scope=Scope.MODERATE)
    session = APIClient()
    session.force_login(staff)
    for client in (api(raw), session):
        response = client.post(f"/api/submissions/{submission.pk}/{action}/", {"reason": "no"}, format="json")
        # Without the permission, staff are users like any other: someone else's submission is not found.
        assert response.status_code == (404 if action == "cancel" else 403), (action, response.content)
    assert ModelSubmission.objects.get(pk=submission.pk).status == Status.PENDING_REVIEW


def test_django_q2s_admin_is_for_superusers_only(client):
    staff = User.objects.create_user("staff", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(content_type__app_label="django_q"))
    client.force_login(staff)
    for url in ("/admin/django_q/schedule/", "/admin/django_q/schedule/add/", "/admin/django_q/failure/"):
        assert client.get(url).status_code == 403, url
    assert b"django_q" not in client.get("/admin/").content
    client.force_login(User.objects.create_superuser("root", password=PASSWORD))
    assert client.get("/admin/django_q/schedule/").status_code == 200
    assert client.get("/admin/django_q/schedule/add/").status_code == 200
