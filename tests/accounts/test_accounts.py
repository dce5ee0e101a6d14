"""Local accounts on django-allauth: sign-up with an address verified by a mailed link, log-in, log-out, password
change and reset; every mail queued, its links on SITE_URL."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import User

from tests.conftest import queued_tasks_run

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"


def signup(client, username="alice", email="alice@example.org", password=PASSWORD):
    return client.post(
        "/accounts/signup/", {"username": username, "email": email, "password1": password, "password2": password}
    )


def mails(settings, django_capture_on_commit_callbacks, mailoutbox, action):
    """Do ``action``; the mails it queued, sent as the checks cluster sends them."""
    with django_capture_on_commit_callbacks(execute=True):
        response = action()
    assert not mailoutbox  # nothing is sent by the request itself
    queued_tasks_run(settings.CHECKS_CLUSTER)
    return response, list(mailoutbox)


def log_in(client, username="alice", password=PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": username, "password": password, **extra})


def test_sign_up_logs_in_and_the_address_counts_once_confirmed(
    client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    response, [email] = mails(settings, django_capture_on_commit_callbacks, mailoutbox, lambda: signup(client))
    assert response.status_code == 302 and client.get("/accounts/profile/").status_code == 200
    assert email.to == ["alice@example.org"] and email.subject.startswith("[leaderboard]")
    assert not EmailAddress.objects.get(email="alice@example.org").verified
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/confirm-email/\S+/)", email.body).group(1)
    assert client.post(link[:-3] + "x/").status_code == 404  # a changed link does nothing
    assert not EmailAddress.objects.get(email="alice@example.org").verified
    assert client.post(link).status_code == 302
    assert EmailAddress.objects.get(email="alice@example.org", user__username="alice").verified


def test_sign_up_does_not_tell_whether_an_email_is_taken(
    client, mailoutbox, settings, django_capture_on_commit_callbacks
):
    bob = User.objects.create_user("bob", email="bob@example.org", password=PASSWORD)
    EmailAddress.objects.create(user=bob, email="bob@example.org", verified=True, primary=True)
    free, _ = mails(
        settings, django_capture_on_commit_callbacks, mailoutbox, lambda: signup(client, "carol", "carol@example.org")
    )
    mailoutbox.clear()
    client.logout()
    taken, [confirm] = mails(
        settings, django_capture_on_commit_callbacks, mailoutbox, lambda: signup(client, "bob2", "BOB@example.org")
    )
    assert taken.status_code == free.status_code == 302 and taken["Location"] == free["Location"]
    # the address stays bob's: on the new account it is unverified, and confirming it there does nothing
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/confirm-email/\S+/)", confirm.body).group(1)
    client.post(link)
    assert EmailAddress.objects.get(user__username="bob").verified
    assert not EmailAddress.objects.get(user__username="bob2").verified


def test_sign_up_refuses_a_weak_password_html_and_no_address(client):
    weak = signup(client, username="weak", password="123")
    assert weak.status_code == 400 and b"too short" in weak.content
    html = signup(client, username="<b>x</b>")
    assert html.status_code == 400 and b"<b>x</b>" not in html.content
    assert signup(client, username="noaddress", email="").status_code == 400
    assert not User.objects.exists()


def test_signed_in_users_are_not_signed_up_again(client):
    client.force_login(User.objects.create_user("alice", password=PASSWORD))
    assert client.get("/accounts/signup/").status_code == 302
    signup(client, username="alice2", email="alice2@example.org")
    assert User.objects.count() == 1


def test_log_in_and_log_out(client):
    User.objects.create_user("alice", password=PASSWORD)
    assert client.get("/accounts/login/").status_code == 200
    wrong = log_in(client, password="nope")
    assert wrong.status_code == 200 and b"are not correct" in wrong.content
    ok = log_in(client, next="/submit/")
    assert ok.status_code == 302 and ok["Location"] == "/submit/"
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")


def test_an_open_redirect_after_log_in_is_refused(client):
    User.objects.create_user("alice", password=PASSWORD)
    response = log_in(client, next="https://evil.example/")
    assert response.status_code == 302 and "evil.example" not in response["Location"]


def test_change_password(client):
    user = User.objects.create_user("alice", password=PASSWORD)
    client.force_login(user)
    assert b"Change your password" in client.get("/accounts/password/change/").content
    new = "another-passphrase-7"
    response = client.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new})
    assert response.status_code == 302
    assert b"Password successfully changed" in client.get(response["Location"]).content
    user.refresh_from_db()
    assert user.check_password(new)


def test_reset_a_forgotten_password_by_email(client, mailoutbox, settings, django_capture_on_commit_callbacks):
    user = User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)
    assert b"Reset your password" in client.get("/accounts/password/reset/").content
    response, [email] = mails(
        settings,
        django_capture_on_commit_callbacks,
        mailoutbox,
        lambda: client.post("/accounts/password/reset/", {"email": "alice@example.org"}),
    )
    assert response.status_code == 302 and b"Check your email" in client.get(response["Location"]).content
    assert email.to == ["alice@example.org"] and "Password Reset" in email.subject
    link = re.search(re.escape(settings.SITE_URL) + r"(/accounts/password/reset/key/\S+/)", email.body).group(1)
    form = client.get(link, follow=True)
    assert b"Choose a new password" in form.content
    new = "brand-new-pass-5"
    done = client.post(form.redirect_chain[-1][0], {"password1": new, "password2": new})
    assert done.status_code == 302 and b"Password set" in client.get(done["Location"]).content
    user.refresh_from_db()
    assert user.check_password(new)
    assert b"does not work any more" in client.get(link, follow=True).content  # used once


def test_reset_for_an_unknown_address_says_the_same_and_sends_nothing(client, mailoutbox, settings):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert response.status_code == 302 and not mailoutbox and queued_tasks_run(settings.CHECKS_CLUSTER) == 0
