"""Two-factor log-in (allauth.mfa, replacing django-otp): anyone may add an authenticator app (TOTP) and recovery
codes; whoever has one gives its code at every log-in; staff moderate only in a session that did (every staff user
needs one with OTP_ADMIN_REQUIRED). The admin is entered through the site's log-in."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import User

from tests.factories import totp_code

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"


@pytest.fixture
def staff(db):
    return User.objects.create_user("mod", password=PASSWORD, is_staff=True, is_superuser=True)


def log_in(client, username="mod", next="/admin/"):
    return client.post(f"/accounts/login/?next={next}", {"login": username, "password": PASSWORD})


def test_the_admins_log_in_is_the_sites(client, staff):
    assert client.get("/admin/login/?next=/admin/")["Location"].startswith("/accounts/login/")
    assert log_in(client)["Location"] == "/admin/" and client.get("/admin/").status_code == 200


def test_staff_with_an_authenticator_give_its_code(client, staff):
    secret = generate_totp_secret()
    TOTP.activate(staff, secret)
    asked = log_in(client)
    assert asked.status_code == 302 and asked["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/").status_code == 302  # not logged in yet
    assert client.post("/accounts/2fa/authenticate/", {"code": "000000"}).status_code == 200  # a wrong code
    done = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert done.status_code == 302 and done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    # A session that did not give the code (here: made without logging in) does not moderate.
    other = client.__class__()
    other.force_login(staff)
    assert other.get("/admin/").status_code == 302


def test_required_two_factor_sends_staff_without_an_authenticator_to_add_one(client, staff, settings):
    settings.OTP_ADMIN_REQUIRED = True
    log_in(client)
    refused = client.get("/admin/")
    assert refused.status_code == 302
    assert client.get(refused["Location"], follow=True).redirect_chain[-1][0] == "/accounts/2fa/"


def test_anyone_adds_an_authenticator_and_recovery_codes_then_needs_them(client):
    user = User.objects.create_user("alice", password=PASSWORD)
    log_in(client, "alice")
    asked = client.get("/accounts/2fa/totp/activate/")  # adding one asks for the password again
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    assert client.post(asked["Location"], {"password": PASSWORD}).status_code == 302
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)}).status_code == 302
    assert {a.type for a in Authenticator.objects.filter(user=user)} == {"totp", "recovery_codes"}
    [recovery_code, *_] = Authenticator.objects.get(user=user, type="recovery_codes").wrap().get_unused_codes()
    client.logout()
    assert log_in(client, "alice", next="/submit/")["Location"] == "/accounts/2fa/authenticate/"
    assert client.post("/accounts/2fa/authenticate/", {"code": recovery_code})["Location"] == "/submit/"
    client.logout()
    log_in(client, "alice")
    assert client.post("/accounts/2fa/authenticate/", {"code": recovery_code}).status_code == 200  # used once
