"""The move to django-allauth keeps every user as today's migrations left them: their password, their API
tokens, and their confirmed email address, which becomes a verified allauth address (migration accounts 0005)."""

import pytest
from allauth.account.models import EmailAddress
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
