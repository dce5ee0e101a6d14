"""Issue 22, findings 6 and 7: the work one request can cause is bounded, and the account mail cannot be steered."""

import json
import re
from io import BytesIO

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http import QueryDict
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from config.middleware import JSON_MAX_DEPTH
from config.wsgi import application
from rankings.filters import MAX_VALUES, ranking_query
from tests.conftest import queued_tasks_run

pytestmark = pytest.mark.django_db


def test_repeated_and_countless_filter_values_are_deduplicated_and_capped():
    """360 license= values made the ranking's filter forms quadratic (445 ms against 22 ms)."""
    assert ranking_query(QueryDict("&".join(["license=mit"] * 360))).getlist("license") == ["mit"]
    many = ranking_query(QueryDict("&".join(f"license=l{i:03d}" for i in range(360))))
    assert len(many.getlist("license")) == MAX_VALUES


def test_a_ranking_asked_for_with_360_filter_values_answers(client, suites):
    query = "&".join(f"license=l{i:03d}" for i in range(360)) + "&" + "&".join(["type=pretrained"] * 360)
    assert client.get(f"/leaderboards/demo-medical/?{query}").status_code == 200
    assert client.get(f"/leaderboards/demo-medical/ranking.csv?{query}").status_code == 200


@pytest.mark.parametrize("path", ["/api/flags/", "/accounts/login/", "/submit/"])
def test_deeply_nested_json_is_refused_with_a_message_not_a_500(client, path):
    body = "[" * 5000 + "]" * 5000
    response = client.post(path, body, content_type="application/json")
    assert response.status_code == 400
    assert f"nests more than {JSON_MAX_DEPTH} levels" in response.content.decode()
    shallow = json.dumps({"a": [[["x"]]]})  # nesting a payload may have still reaches the view
    assert client.post(path, shallow, content_type="application/json").status_code != 500


def _wsgi(environ: dict) -> str:
    statuses = []
    base = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/flags/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "wsgi.input": BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    b"".join(application({**base, **environ}, lambda status, headers: statuses.append(status)))
    return statuses[0]


def test_a_body_over_the_cap_is_refused_before_django_reads_it():
    too_big = str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert _wsgi({"CONTENT_LENGTH": too_big, "CONTENT_TYPE": "application/json"}).startswith("413")
    assert not _wsgi({"CONTENT_LENGTH": "2", "wsgi.input": BytesIO(b"{}")}).startswith("413")


def test_invalid_tokens_are_throttled_like_anonymous_requests(monkeypatch, suites):
    """Each invalid token costs a database lookup; they were never throttled."""
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "3/min", "user": "100/min"})
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer mlb_not-a-token")
    statuses = [api.get("/api/suites/").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert "Retry-After" in api.get("/api/suites/")


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", email="alice@example.org", password="a-long-passphrase-9")


def test_the_reset_mail_is_queued_and_its_link_is_the_sites_whatever_the_host(
    client, alice, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """The link took the request's Host; the mail was sent inside the request (slow mail told registered
    addresses apart)."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.SITE_URL = "https://leaderboard.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password/reset/", {"email": "alice@example.org"}, HTTP_HOST="evil.example")
    assert response.status_code == 302 and not mailoutbox
    assert queued_tasks_run(settings.CHECKS_CLUSTER) == 1
    [mail] = mailoutbox
    assert re.search(r"https://leaderboard\.example\.org/accounts/password/reset/key/\S+/", mail.body)
    assert "evil.example" not in mail.body
