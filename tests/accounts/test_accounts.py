"""Sign-up, log-in, log-out, password change and reset (Django's email framework)."""

import re

import pytest
from django.contrib.auth.models import User

from tests.conftest import queued_tasks_run

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"


def signup(client, username="alice", email="alice@example.org", password=PASSWORD):
    return client.post(
        "/accounts/signup/", {"username": username, "email": email, "password1": password, "password2": password}
    )


def test_sign_up_logs_in_and_keeps_the_email_once_confirmed(client, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client)
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert b"We sent a message to alice@example.org" in client.get("/accounts/profile/").content
    assert User.objects.get(username="alice").email == ""
    [email] = mailoutbox
    assert email.to == ["alice@example.org"] and "Confirm" in email.subject
    link = re.search(r"https?://[^/\s]+(/accounts/email/\S+/)", email.body).group(1)
    assert client.get(link, follow=True).status_code == 200
    assert User.objects.get(username="alice").email == "alice@example.org"
    assert client.get(link[:-3] + "x/", follow=True).status_code == 200  # a changed link does nothing
    assert b"does not work" in client.get(link[:-3] + "x/", follow=True).content


def test_sign_up_does_not_tell_whether_an_email_is_taken(client, mailoutbox, django_capture_on_commit_callbacks):
    User.objects.create_user("bob", email="bob@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        free = signup(client, username="carol", email="carol@example.org")
    client.logout()
    with django_capture_on_commit_callbacks(execute=True):
        taken = signup(client, username="bob2", email="BOB@example.org")
    assert taken.status_code == free.status_code == 302 and taken["Location"] == free["Location"]
    assert User.objects.get(username="bob2").email == ""  # not attached: bob is told instead
    confirm, note = mailoutbox
    assert confirm.to == ["carol@example.org"] and note.to == ["bob@example.org"]
    assert "already uses" in note.body and "/accounts/email/" not in note.body


def test_sign_up_refuses_a_weak_password_and_html(client):
    weak = signup(client, username="weak", password="123")
    assert weak.status_code == 400 and b"too short" in weak.content
    html = signup(client, username="<b>x</b>")
    assert html.status_code == 400 and b"<b>x</b>" not in html.content
    assert not User.objects.exists()


def test_signed_in_users_are_not_signed_up_again(client):
    signup(client)
    assert client.get("/accounts/signup/")["Location"] == "/accounts/profile/"
    signup(client, username="alice2", email="alice2@example.org")
    assert User.objects.count() == 1


def test_log_in_and_log_out(client):
    User.objects.create_user("alice", password=PASSWORD)
    assert client.get("/accounts/login/").status_code == 200
    wrong = client.post("/accounts/login/", {"username": "alice", "password": "nope"})
    assert wrong.status_code == 200 and b"Please enter a correct username and password" in wrong.content
    ok = client.post("/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "/submit/"})
    assert ok.status_code == 302 and ok["Location"] == "/submit/"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_an_open_redirect_after_log_in_is_refused(client):
    User.objects.create_user("alice", password=PASSWORD)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_change_password(client):
    user = User.objects.create_user("alice", password=PASSWORD)
    client.force_login(user)
    assert b"Change your password" in client.get("/accounts/password_change/").content
    response = client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": "another-passphrase-7", "new_password2": "another-passphrase-7"},
    )
    assert response.status_code == 302
    assert b"Password changed" in client.get(response["Location"]).content
    user.refresh_from_db()
    assert user.check_password("another-passphrase-7")


def test_reset_a_forgotten_password_by_email(client, mailoutbox, settings, django_capture_on_commit_callbacks):
    user = User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)
    assert b"Reset your password" in client.get("/accounts/password_reset/").content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "alice@example.org"})
    assert response.status_code == 302 and b"Check your email" in client.get(response["Location"]).content
    assert not mailoutbox and queued_tasks_run(settings.CHECKS_CLUSTER) == 1  # sent by the queue, not the request
    [email] = mailoutbox
    assert email.to == ["alice@example.org"] and "Reset your password" in email.subject
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/reset/\S+/)", email.body).group(1)

    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "brand-new-pass-5", "new_password2": "brand-new-pass-5"}
    )
    assert done.status_code == 302 and b"Password set" in client.get(done["Location"]).content
    user.refresh_from_db()
    assert user.check_password("brand-new-pass-5")
    assert b"does not work any more" in client.get(link, follow=True).content  # used once


def test_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, mailoutbox, settings):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and not mailoutbox and queued_tasks_run(settings.CHECKS_CLUSTER) == 0
