"""Bad input gets a clear message and a 4xx, never a 500, and nothing is stored."""

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from submissions.models import ModelSubmission

BAD_IDS = {
    "../x": "organisation/name",
    "org/../../etc/passwd": "organisation/name",
    "org name/model": "organisation/name",
    "x" * 150 + "/" + "y" * 150: "at most 200 characters",
    "https://huggingface.co/org/model": "organisation/name",
    "org/mod\x00el": "Null characters are not allowed",
    "org/modеl": "organisation/name",  # Cyrillic e
    "<script>alert(1)</script>/x": "organisation/name",
    "org/x'; DROP TABLE submissions_modelsubmission; --": "organisation/name",
    "nobody-here/no-such-model": "There is no model nobody-here/no-such-model",
}


@pytest.fixture
def user_client(client, db):
    client.force_login(User.objects.create_user("bob", password="pw-bob-12345"))
    return client


def form(model_id, revision="main", **extra):
    return {"model_id": model_id, "revision": revision, "precision": "float32", "weight_type": "Original",
            "model_type": "pretrained", "suite": "demo-medical", **extra}  # fmt: skip


@pytest.mark.parametrize("model_id,message", BAD_IDS.items())
def test_bad_model_ids_get_a_form_error(user_client, suites, tiny_model, model_id, message):
    response = user_client.post("/submit/", form(model_id))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>alert" not in response.content.decode()
    assert not ModelSubmission.objects.exists()


def test_a_revision_that_does_not_exist(user_client, suites, tiny_model):
    model_id, _ = tiny_model
    response = user_client.post("/submit/", form(model_id, revision="no-such-branch"))
    assert response.status_code == 400
    assert f"{model_id} has no revision" in response.content.decode()
    assert not ModelSubmission.objects.exists()


def test_an_unknown_suite(user_client, suites, tiny_model):
    response = user_client.post("/submit/", form(tiny_model[0], suite="no-such-suite"))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not ModelSubmission.objects.exists()


def test_adapter_without_base_model(user_client, suites, tiny_model):
    response = user_client.post("/submit/", form(tiny_model[0], weight_type="Adapter"))
    assert response.status_code == 400 and "need the base model" in response.content.decode()


def test_the_same_model_twice(user_client, suites, tiny_model):
    assert user_client.post("/submit/", form(tiny_model[0])).status_code == 302
    response = user_client.post("/submit/", form(tiny_model[0]))
    assert response.status_code == 400 and "already submitted" in response.content.decode()
    assert ModelSubmission.objects.count() == 1


def test_anonymous_users_are_sent_to_log_in(client, suites, tiny_model):
    response = client.post("/submit/", form(tiny_model[0]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not ModelSubmission.objects.exists()


@pytest.mark.parametrize(
    "args,message",
    [
        (["../x", "--suite", "demo-medical"], "organisation/name"),
        (["nobody-here/nothing", "--suite", "demo-medical"], "There is no model"),
        (["test-org/tiny-medical-llm", "--revision", "nope", "--suite", "demo-medical"], "has no revision"),
        (["test-org/tiny-medical-llm", "--suite", "nope"], "no suite 'nope'"),
    ],
)
def test_evaluate_command_refuses_bad_input(suites, tiny_model, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("evaluate", *args, "--sync")
    assert not ModelSubmission.objects.exists()


def test_unknown_suite_page_is_a_404(client, suites):
    assert client.get("/leaderboards/nope/").status_code == 404
    assert client.get("/api/leaderboard/nope/").status_code == 404
