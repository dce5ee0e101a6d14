"""The move to django-allauth keeps every user as today's migrations left them: their password, their API
tokens, their confirmed email address, which becomes a verified allauth address (migration accounts 0005), and
staff's TOTP devices, which become allauth.mfa authenticators (0006)."""

import base64

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import User
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.models import Scope
from accounts.services import token_create

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "a-long-passphrase-9"


def test_existing_users_passwords_addresses_and_tokens_survive(client):
    call_command("migrate", "accounts", "0004_hub_identity", verbosity=0)  # as before the move
    EmailAddress.objects.all().delete()
    alice = User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)
    User.objects.create_user("twin", email="ALICE@example.org", password=PASSWORD)  # only an admin could
    User.objects.create_user("nomail", password=PASSWORD)
    _, raw = token_create(user=alice, name="ci", scope=Scope.SUBMIT)
    call_command("migrate", "accounts", verbosity=0)
    address = EmailAddress.objects.get(user=alice)
    assert (address.email, address.verified, address.primary) == ("alice@example.org", True, True)
    assert EmailAddress.objects.count() == 1  # the twin's copy of it stays unattached, the one without none
    for username in ("alice", "twin", "nomail"):
        assert client.post("/accounts/login/", {"login": username, "password": PASSWORD}).status_code == 302
        client.logout()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/me/").json()["username"] == "alice"


def test_staff_totp_devices_keep_giving_valid_codes(client):
    """A django-otp device (30-second steps, 6 digits: its defaults) becomes the user's allauth authenticator with the
    same secret: the app on their phone keeps working. A device with other settings is left for its owner to set
    up again."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import totp_code

    call_command("migrate", "accounts", "0005_allauth_email_addresses", verbosity=0)
    mod = User.objects.create_user("mod", password=PASSWORD, is_staff=True, is_superuser=True)
    odd = User.objects.create_user("odd", password=PASSWORD, is_staff=True)
    device = TOTPDevice.objects.create(user=mod, name="phone")
    TOTPDevice.objects.create(user=odd, name="old phone", digits=8)
    TOTPDevice.objects.create(user=odd, name="unconfirmed", confirmed=False)
    call_command("migrate", "accounts", verbosity=0)
    secret = base64.b32encode(bytes.fromhex(device.key)).decode()
    assert client.post("/accounts/login/?next=/admin/", {"login": "mod", "password": PASSWORD}).status_code == 302
    assert client.get("/admin/").status_code == 302  # the code first
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert not Authenticator.objects.filter(user=odd).exists()
