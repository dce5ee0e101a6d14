"""One model-id rule: what huggingface_hub's validate_repo_id refuses gets a field error (4xx, never a 500)
from the submit form and the API alike, and so does a name without its organisation."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from huggingface_hub.errors import HFValidationError
from huggingface_hub.utils import validate_repo_id
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from submissions.errors import SubmissionError
from submissions.hub import check_model_id
from submissions.models import ModelSubmission

HUB_REFUSES = [
    "org/model.",
    "org/model-",
    "org/-model",
    "org/.model",
    "-org/model",
    "org./model",
    "org/mo..del",
    "org/mo--del",
    "org/model.git",
    "org/" + "m" * 97,
    "o" * 97 + "/model",
    "org/mo del",
    "org/modèl",
    "",
    "org/",
]
WE_REFUSE_TOO = ["model", "org/_model", "_org/model", "a/b/c"]
MESSAGE = "Enter a Hugging Face model id as organisation/name"


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", password="pw-bob-12345")


def submission(model_id: str) -> dict:
    return {
        "model_id": model_id,
        "revision": "main",
        "precision": "float32",
        "weight_type": "Original",
        "model_type": "pretrained",
        "suite": "demo-medical",
    }


@pytest.mark.parametrize("model_id", HUB_REFUSES)
def test_the_hub_refuses_these_ids(model_id):
    with pytest.raises(HFValidationError):
        validate_repo_id(model_id)


@pytest.mark.parametrize("model_id", HUB_REFUSES + WE_REFUSE_TOO)
def test_the_form_and_the_api_give_a_field_error(client, bob, suites, model_id):
    client.force_login(bob)
    response = client.post("/submit/", submission(model_id))
    assert response.status_code == 400
    assert MESSAGE in response.content.decode() or "This field is required" in response.content.decode()

    api = APIClient()
    api.force_authenticate(bob)
    response = api.post(reverse("api-submissions"), submission(model_id), format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["model_id"]
    assert MESSAGE in response.json()["model_id"][0] or "may not be blank" in response.json()["model_id"][0]
    assert not ModelSubmission.objects.exists()


def test_a_valid_id_still_passes(client, bob, suites, tiny_model):
    client.force_login(bob)
    assert client.post("/submit/", submission(f"  {tiny_model[0]} ")).status_code == 302
    api = APIClient()
    api.force_authenticate(User.objects.create_user("carol", password="pw-carol-12345"))
    response = api.post(
        reverse("api-submissions"), {**submission(tiny_model[0]), "precision": "bfloat16"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert ModelSubmission.objects.filter(model_id=tiny_model[0]).count() == 2


@given(st.text(alphabet="aZ09-_./ é", max_size=12) | st.from_regex(r"[a-z]{1,100}/[a-z._-]{1,100}", fullmatch=True))
def test_what_we_accept_the_hub_accepts(model_id):
    try:
        accepted = check_model_id(model_id)
    except SubmissionError as exc:
        assert exc.field == "model_id" and MESSAGE in exc.message
    else:
        validate_repo_id(accepted)
        assert accepted.count("/") == 1 and accepted == model_id.strip()
