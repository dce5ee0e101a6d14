"""Text Postgres cannot store (NUL, unpaired surrogates) gets a clear 400 wherever it comes in, and nothing is stored."""

import json

import pytest
from django.contrib.auth.models import User

from submissions.models import ModelSubmission

NUL = "\x00"
SURROGATE = "\ud800"
SUBMISSION = {
    "model_id": "org/model",
    "revision": "main",
    "precision": "float32",
    "weight_type": "Original",
    "model_type": "pretrained",
    "suite": "demo-medical",
}

GETS = [
    ("/leaderboards/demo-medical/?search=a%00b", "Query parameter 'search'"),
    ("/leaderboards/demo-medical/?a%00b=1", "Query parameter 'a\\x00b'"),
    ("/models/org%00/model/", "The path"),
    ("/runs/1/samples/medqa%00/", "The path"),
    ("/queue/?status=%00", "Query parameter 'status'"),
    ("/admin/submissions/modelsubmission/?q=%00", "Query parameter 'q'"),
    ("/api/models/org%00/model/", "The path"),
    ("/api/leaderboard/demo-medical/?search=%00", "Query parameter 'search'"),
    ("/api/runs/1/samples/medqa%00/", "The path"),
]


@pytest.fixture
def staff_client(client, suites):
    client.force_login(User.objects.create_user("mod", is_staff=True, is_superuser=True))
    return client


def _refused(response, where: str):
    text = response.json()["detail"] if response["Content-Type"] == "application/json" else response.content.decode()
    assert response.status_code == 400, (response.status_code, text)
    assert text.startswith(where) and "NUL character" in text, text


@pytest.mark.parametrize("url, where", GETS)
def test_gets(staff_client, url, where):
    _refused(staff_client.get(url), where)


@pytest.mark.parametrize("field", ["suite", "model_id", "revision", "base_model"])
@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_api_json_bodies(staff_client, field, bad):
    body = json.dumps({**SUBMISSION, field: f"x{bad}y"})  # ensure_ascii: the surrogate travels as \ud800
    _refused(staff_client.post("/api/submissions/", body, content_type="application/json"), f"Field '{field}'")
    _refused(
        staff_client.post(
            "/api/submissions/", json.dumps({**SUBMISSION, "extra": {f"k{bad}": [1]}}), content_type="application/json"
        ),
        "Field 'extra'",
    )
    assert not ModelSubmission.objects.exists()


@pytest.mark.parametrize("url", ["/submit/", "/api/submissions/"])
@pytest.mark.parametrize("field", ["suite", "model_id", "revision"])
def test_form_bodies(staff_client, url, field):
    _refused(staff_client.post(url, {**SUBMISSION, field: f"x{NUL}y"}), f"Field '{field}'")
    assert not ModelSubmission.objects.exists()


def test_cookie(client, suites):
    client.cookies["sessionid"] = f"abcdefgh{NUL}"
    _refused(client.get("/"), "Cookie 'sessionid'")
