"""Abuse limits: django-ratelimit on pages, exports and the account forms, django-axes on log-in, DRF's throttles
on the API; every one counting clients by NUM_PROXIES, never by a header a client can forge."""

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-passphrase-9"


@pytest.fixture
def limits(settings):
    """Set some groups' (anonymous, signed-in) rates; the others keep their defaults."""

    def set_limits(**groups):
        settings.RATELIMITS = {
            **settings.RATELIMITS,
            **{name.replace("_", "-"): rates for name, rates in groups.items()},
        }

    return set_limits


def test_the_default_limits_are_on(settings):
    assert settings.RATELIMITS["pages"] == ("120/m", "600/m") and settings.AXES_FAILURE_LIMIT == 10
    assert settings.NUM_PROXIES == 0 and settings.REST_FRAMEWORK["NUM_PROXIES"] == 0


def test_pages_answer_429_with_retry_after_and_a_readable_page(client, limits, suites):
    limits(pages=("3/h", "5/h"))  # per hour: no window ends in the middle of a test
    assert [client.get("/about/").status_code for _ in range(3)] == [200] * 3
    refused = client.get("/about/")
    assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 3600
    assert b"Too many requests" in refused.content and b"<nav " in refused.content  # the site's own page
    # A forged X-Forwarded-For is not another client (NUM_PROXIES=0: REMOTE_ADDR only)...
    assert client.get("/about/", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 429
    # ...another address is.
    assert client.get("/about/", REMOTE_ADDR="198.51.100.7").status_code == 200
    # Signed-in users are counted per user, at their own rate.
    client.force_login(User.objects.create_user("alice"))
    assert [client.get("/about/").status_code for _ in range(6)] == [200] * 5 + [429]


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(client, limits, settings, suites):
    settings.NUM_PROXIES = 1
    limits(pages=("1/h", "1/h"))
    assert client.get("/about/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 200
    assert client.get("/about/", HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429
    # Only the last (the proxy's own) entry counts: a client prepending addresses stays itself.
    assert client.get("/about/", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.1").status_code == 429
    assert client.get("/about/", HTTP_X_FORWARDED_FOR="203.0.113.2").status_code == 200


def test_exports_and_downloads_have_their_own_tighter_limit(client, limits, suites):
    limits(exports=("2/h", "2/h"))
    url = "/leaderboards/demo-medical/ranking.csv"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]
    assert client.get("/leaderboards/demo-medical/ranking.json").status_code == 429  # the same group
    assert client.get("/runs/999999/download.zip").status_code == 429
    assert client.get("/about/").status_code == 200  # pages are counted apart


def test_the_api_throttle_is_not_bypassed_by_a_changing_forwarded_header(monkeypatch, suites):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "3/min"})
    api = APIClient()
    statuses = [api.get("/api/suites/", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_behind_a_trusted_proxy_the_api_counts_the_forwarded_address_as_every_limit_does(monkeypatch, settings, suites):
    settings.NUM_PROXIES = 1  # read at each request (core.client_ip), not once from REST_FRAMEWORK
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/min", "user": "2/min"})
    api = APIClient()

    def get(forwarded: str, **extra) -> int:
        return api.get("/api/suites/", HTTP_X_FORWARDED_FOR=forwarded, **extra).status_code

    # A client prepending addresses stays itself; another address is another client.
    assert [get("203.0.113.1"), get("10.0.0.1, 203.0.113.1"), get("10.0.0.2, 203.0.113.1")] == [200, 200, 429]
    assert get("203.0.113.2") == 200
    # A wrong token counts against the same client's anonymous rate (a 429 instead of the 401).
    assert get("10.0.0.3, 203.0.113.1", HTTP_AUTHORIZATION="Bearer mlb_wrong") == 429
    assert get("203.0.113.3", HTTP_AUTHORIZATION="Bearer mlb_wrong") == 401


def login(client, password, **extra):
    return client.post("/accounts/login/", {"login": "alice", "password": password}, **extra)


def test_thirty_wrong_passwords_lock_the_account_out_for_that_address(client, limits):
    limits(login=("1000/m", "1000/m"))  # the lockout, not the log-in rate limit, is what this test shows
    User.objects.create_user("alice", password=PASSWORD)
    statuses = [login(client, f"wrong-{i}").status_code for i in range(30)]
    assert statuses[:9] == [200] * 9 and set(statuses[10:]) == {429}  # the 10th failure locks
    refused = login(client, PASSWORD)
    assert refused.status_code == 429 and b"Log-in locked" in refused.content
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/profile/").status_code == 302
    # The same user from another address is not locked out.
    assert login(client, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_log_in_attempts_are_rate_limited_per_address(client, limits):
    limits(login=("3/h", "3/h"))
    User.objects.create_user("alice", password=PASSWORD)
    assert [login(client, "wrong").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert login(client, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_test_clients_log_in_with_a_request(client):
    User.objects.create_user("alice", password=PASSWORD)
    assert client.login(request=HttpRequest(), username="alice", password=PASSWORD)


def test_sign_up_is_rate_limited_per_address(client, limits):
    limits(signup=("2/h", "2/h"))
    posts = []
    for i in range(3):
        posts.append(
            client.post(
                "/accounts/signup/",
                {"username": f"u{i}", "email": f"u{i}@example.org", "password1": PASSWORD, "password2": PASSWORD},
            )
        )
        client.logout()
    assert [p.status_code for p in posts[:2]] == [302, 302] and posts[2].status_code == 429
    assert User.objects.count() == 2


def test_password_reset_is_rate_limited_per_address_and_per_email_and_client(client, limits):
    User.objects.create_user("alice", email="alice@example.org", password=PASSWORD)
    limits(password_reset=("100/h", "100/h"), password_reset_email=("2/h", "2/h"))
    # One client asking again and again for one email address, however spelled: the per-email limit holds.
    for _ in range(2):
        response = client.post("/accounts/password/reset/", {"email": "alice@example.org"}, REMOTE_ADDR="198.51.100.1")
        assert response.status_code == 302
    refused = client.post("/accounts/password/reset/", {"email": " ALICE@example.org"}, REMOTE_ADDR="198.51.100.1")
    assert refused.status_code == 429
    # Issue 22: that limit is the client's own, so nobody can use up the owner's resets for an hour.
    owner = client.post("/accounts/password/reset/", {"email": "alice@example.org"}, REMOTE_ADDR="203.0.113.7")
    assert owner.status_code == 302
    # Many addresses from one client: the per-address limit holds.
    limits(password_reset=("2/h", "2/h"), password_reset_email=("100/h", "100/h"))
    statuses = [client.post("/accounts/password/reset/", {"email": f"x{i}@example.org"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]
