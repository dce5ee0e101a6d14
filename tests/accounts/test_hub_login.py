"""Sign in with Hugging Face, driven over HTTP against a real OpenID Connect server on localhost standing in for the
hub: new user, returning user, a name a local user has, linking to and unlinking from a local account,
organisations changed between two log-ins, the hub down, a forged or replayed state, the log-in off."""

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User
from django.test import Client

from accounts.hub_oauth import hub_oauth_providers
from accounts.models import HubIdentity
from tests.factories import totp_code
from tests.hub_oidc import LOGIN, hub_sign_in, org

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"


def me(client) -> dict:
    response = client.get("/api/me/")
    assert response.status_code == 200
    return response.json()


def test_a_new_user_signs_up_in_one_step_with_pkce(client, hub):
    hub.user_set("hf-1", preferred_username="alice-hf", name="Alice", orgs=[org("acme-health"), org("open-bio")])
    start = client.post(LOGIN)
    assert start.status_code == 302 and start["Location"].startswith(f"{hub.url}/oauth2/authorize?")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert set(query["scope"][0].split()) == {"openid", "profile"} and query["code_challenge_method"] == ["S256"]
    done = client.get(hub.consent(start["Location"], "hf-1"))
    assert done.status_code == 302 and done["Location"] == "/"
    user = User.objects.get()
    assert user.username == "alice-hf" and not user.has_usable_password()
    # the hub's own check of PKCE passed: the token request carried the verifier of the challenge
    [token_request] = hub.token_requests
    assert token_request["code_verifier"] and token_request["grant_type"] == "authorization_code"
    assert me(client) == {
        "username": "alice-hf",
        "hub_username": "alice-hf",
        "organisations": ["acme-health", "open-bio"],
        "organisations_read_at": me(client)["organisations_read_at"],
    }
    profile = client.get("/accounts/profile/").content.decode()
    assert "acme-health" in profile and "Set a password" in profile


def test_a_returning_user_is_the_same_account(client, hub):
    hub.user_set("hf-2", preferred_username="bob-hf", orgs=[])
    hub_sign_in(client, hub, "hf-2")
    first = HubIdentity.objects.get(uid="hf-2").read_at
    client.logout()
    assert client.get("/api/me/").status_code in (401, 403)
    assert hub_sign_in(client, hub, "hf-2").status_code == 302
    assert User.objects.count() == 1 and me(client)["username"] == "bob-hf"
    assert HubIdentity.objects.get(uid="hf-2").read_at > first


def test_a_hub_name_a_local_user_has_gets_a_new_account_never_the_local_one(client, hub):
    local = User.objects.create_user("carol", password=PASSWORD)
    hub.user_set("hf-3", preferred_username="carol", orgs=[])
    hub_sign_in(client, hub, "hf-3")
    new = User.objects.exclude(pk=local.pk).get()
    assert new.username != "carol" and new.username.startswith("carol")
    assert me(client)["username"] == new.username and not SocialAccount.objects.filter(user=local).exists()


def test_a_local_user_links_the_hub_account_then_logs_in_with_either(client, hub):
    local = User.objects.create_user("dora", password=PASSWORD)
    client.force_login(local)
    assert b"Link your Hugging Face account" in client.get("/accounts/profile/").content
    hub.user_set("hf-4", preferred_username="dora-on-hub", orgs=[org("acme-health")])
    linked = hub_sign_in(client, hub, "hf-4", process="connect")
    assert linked.status_code == 302 and linked["Location"] == "/accounts/profile/"
    assert SocialAccount.objects.get(user=local).uid == "hf-4" and User.objects.count() == 1
    assert me(client) | {"organisations_read_at": None} == {
        "username": "dora",
        "hub_username": "dora-on-hub",
        "organisations": ["acme-health"],
        "organisations_read_at": None,
    }
    client.logout()
    hub_sign_in(client, hub, "hf-4")
    assert me(client)["username"] == "dora"
    client.logout()
    assert client.post("/accounts/login/", {"login": "dora", "password": PASSWORD}).status_code == 302
    # unlinking is allowed: the password is still a way in; the organisations are no longer vouched for
    account = SocialAccount.objects.get(user=local)
    assert client.post("/accounts/3rdparty/", {"account": account.pk}).status_code == 302
    assert not SocialAccount.objects.filter(user=local).exists()
    assert me(client) | {"organisations_read_at": None} == {
        "username": "dora",
        "hub_username": None,
        "organisations": [],
        "organisations_read_at": None,
    }


def test_unlinking_the_only_way_to_log_in_is_refused(client, hub):
    hub.user_set("hf-5", preferred_username="erin-hf", orgs=[])
    hub_sign_in(client, hub, "hf-5")
    account = SocialAccount.objects.get(uid="hf-5")
    refused = client.post("/accounts/3rdparty/", {"account": account.pk})
    assert refused.status_code == 200 and b"no password" in refused.content
    assert SocialAccount.objects.filter(pk=account.pk).exists()
    # with a password set first, it can go
    client.post("/accounts/password/set/", {"password1": PASSWORD, "password2": PASSWORD})
    assert User.objects.get(username="erin-hf").has_usable_password()
    assert client.post("/accounts/3rdparty/", {"account": account.pk}).status_code == 302
    assert not SocialAccount.objects.filter(pk=account.pk).exists()


def test_organisations_changed_between_two_log_ins(client, hub):
    hub.user_set("hf-6", preferred_username="fay-hf", orgs=[org("acme-health"), org("old-lab")])
    hub_sign_in(client, hub, "hf-6")
    assert me(client)["organisations"] == ["acme-health", "old-lab"]
    client.logout()
    hub.user_set("hf-6", preferred_username="fay-hf", orgs=[org("acme-health"), org("new-lab")])
    hub_sign_in(client, hub, "hf-6")
    assert me(client)["organisations"] == ["acme-health", "new-lab"]
    client.logout()
    hub.user_set("hf-6", preferred_username="fay-hf")  # no orgs granted this time
    hub_sign_in(client, hub, "hf-6")
    assert me(client)["organisations"] == []


def test_organisations_read_long_ago_no_longer_count(client, hub, settings):
    hub.user_set("hf-7", preferred_username="gus-hf", orgs=[org("acme-health")])
    hub_sign_in(client, hub, "hf-7")
    settings.HUB_ORGS_MAX_AGE_DAYS = 0
    assert me(client)["organisations"] == [] and me(client)["hub_username"] == "gus-hf"


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return f"http://localhost:{sock.getsockname()[1]}"


def test_the_hub_down_gives_a_clear_message_not_an_error(client, hub, settings):
    settings.SOCIALACCOUNT_PROVIDERS = hub_oauth_providers(client_id="x", secret="y", server_url=closed_port_url())
    down = client.post(LOGIN)
    assert down.status_code == 503 and b"The Hugging Face hub did not answer" in down.content
    # down between the redirect and the callback: the code cannot be exchanged
    settings.SOCIALACCOUNT_PROVIDERS = hub.providers()
    hub.user_set("hf-8", preferred_username="hal-hf", orgs=[])
    start = client.post(LOGIN)
    callback = hub.consent(start["Location"], "hf-8")
    settings.SOCIALACCOUNT_PROVIDERS = hub_oauth_providers(client_id="x", secret="y", server_url=closed_port_url())
    late = client.get(callback)
    assert late.status_code == 503 and b"The Hugging Face hub did not answer" in late.content
    assert not User.objects.exists()


def test_a_forged_or_replayed_state_is_refused(client, hub):
    hub.user_set("hf-9", preferred_username="ivy-hf", orgs=[org("acme-health")])
    start = client.post(LOGIN)
    callback = hub.consent(start["Location"], "hf-9")
    forged = client.get(callback.replace("state=", "state=forged"))
    assert forged.status_code == 400 and b"did not start here" in forged.content
    # another browser (no session) presenting the real callback is refused too
    assert Client().get(callback).status_code == 400
    assert not User.objects.exists() and not HubIdentity.objects.exists()
    assert client.get(callback).status_code == 302  # the real one, once
    assert client.get(callback).status_code == 400  # and never again
    assert User.objects.count() == 1


def test_a_code_without_its_pkce_verifier_is_refused_by_the_hub(client, hub):
    hub.user_set("hf-10", preferred_username="jo-hf", orgs=[])
    start = client.post(LOGIN)
    callback = hub.consent(start["Location"], "hf-10")
    hub.challenges[parse_qs(urlsplit(callback).query)["code"][0]] = "not-the-challenge"
    refused = client.get(callback)
    assert refused.status_code == 400 and b"did not confirm who you are" in refused.content
    assert not User.objects.exists()


def test_the_log_in_page_offers_the_hub_and_the_email_scope_when_asked(client, hub, settings):
    page = client.get("/accounts/login/").content.decode()
    assert "Log in with Hugging Face" in page and 'action="/accounts/oidc/huggingface/login/"' in page
    assert b"Continue to Hugging Face" in client.get(LOGIN).content
    settings.SOCIALACCOUNT_PROVIDERS = hub.providers(email=True)
    query = parse_qs(urlsplit(client.post(LOGIN)["Location"]).query)
    assert set(query["scope"][0].split()) == {"openid", "profile", "email"}


def test_off_without_a_client_id(client, settings):
    settings.SOCIALACCOUNT_PROVIDERS = hub_oauth_providers(client_id="", secret="", server_url="https://huggingface.co")
    assert client.post(LOGIN).status_code == 404
    assert client.get(LOGIN).status_code == 404
    assert b"Hugging Face" not in client.get("/accounts/login/").content


def test_a_hub_log_in_asks_for_the_authenticators_code_too(client, hub):
    hub.user_set("hf-11", preferred_username="lee-hf", orgs=[])
    hub_sign_in(client, hub, "hf-11")
    user = User.objects.get(username="lee-hf")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client.logout()
    asked = hub_sign_in(client, hub, "hf-11")
    assert asked.status_code == 302 and asked["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/api/me/").status_code in (401, 403)  # not logged in before the code
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    assert me(client)["username"] == "lee-hf"
