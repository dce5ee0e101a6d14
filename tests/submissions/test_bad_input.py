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
    "org/mod\x00el": "Field 'model_id' contains a NUL character",
    "org/modеl": "organisation/name",  # Cyrillic e
    "<script>alert(1)</script>/x": "organisation/name",
    "org/x'; DROP TABLE submissions_modelsubmission; --": "organisation/name",
    "nobody-here/no-such-model": "There is no model nobody-here/no-such-model",
    "o" * 1000: "at most 200 characters",
    "org/model\tname": "organisation/name",
    "org/mo\u202edel": "organisation/name",  # right-to-left override
    "org/model\nname": "organisation/name",
    "org\\model": "organisation/name",
    "%2e%2e/model": "organisation/name",
    "javascript:alert(1)": "organisation/name",
    "org/model.git": "organisation/name",
    "org--x/model": "organisation/name",
    "ｏｒｇ/model": "organisation/name",  # fullwidth letters
}
BAD_REVISIONS = ["../../etc/passwd", "main\x01", "r" * 1000, "refs//heads", "<b>main</b>", "main; rm -rf /"]


@pytest.fixture
def user_client(client, db):
    client.force_login(User.objects.create_user("bob", password="pw-bob-12345"))
    return client


def form(model_id, revision="main", **extra):
    return {
        "model_id": model_id,
        "revision": revision,
        "precision": "float32",
        "weight_type": "Original",
        "model_type": "pretrained",
        "suite": "demo-medical",
        **extra,
    }


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


@pytest.mark.parametrize("revision", BAD_REVISIONS)
def test_bad_revisions_get_a_form_error(user_client, suites, tiny_model, revision):
    response = user_client.post("/submit/", form(tiny_model[0], revision=revision))
    assert response.status_code == 400
    assert "<b>main" not in response.content.decode()
    assert not ModelSubmission.objects.exists()


@pytest.mark.parametrize("base_model", ["../x", "https://huggingface.co/org/model", "<i>org</i>/x", "nobody-here/base"])
def test_bad_base_models_get_a_form_error(user_client, suites, tiny_model, base_model):
    response = user_client.post("/submit/", form(tiny_model[0], weight_type="Delta", base_model=base_model))
    assert response.status_code == 400
    page = response.content.decode()
    assert "organisation/name" in page or "There is no model nobody-here/base" in page
    assert "<i>org" not in page
    assert not ModelSubmission.objects.exists()


@pytest.mark.parametrize("field,value", [("precision", "fp8"), ("weight_type", "LoRA"), ("model_type", "robot")])
def test_unknown_choices(user_client, suites, tiny_model, field, value):
    response = user_client.post("/submit/", form(tiny_model[0], **{field: value}))
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not ModelSubmission.objects.exists()


def test_a_private_model(user_client, suites, hub):
    hub.build("i3-bad/private", info={"private": True})
    response = user_client.post("/submit/", form("i3-bad/private"))
    assert response.status_code == 400 and "i3-bad/private is private" in response.content.decode()
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
