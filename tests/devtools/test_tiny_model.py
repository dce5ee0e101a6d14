"""make_tiny_model puts a model in the local hub cache that transformers loads offline, by sha and by main."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

LOAD = """
import sys
from transformers import AutoModelForCausalLM, AutoTokenizer
repo, revision = sys.argv[1:]
model = AutoModelForCausalLM.from_pretrained(repo, revision=revision)
tokenizer = AutoTokenizer.from_pretrained(repo, revision=revision)
ids = tokenizer("Question: Which organ produces insulin?\\nAnswer:", return_tensors="pt").input_ids
print(model(ids).logits.shape[-1] == len(tokenizer))
"""


def test_make_tiny_model_prints_shas_that_transformers_loads_offline(settings):
    out = StringIO()
    call_command("make_tiny_model", "test-org/tiny-a", "test-org/tiny-b", stdout=out)
    sha_a, sha_b = out.getvalue().split()
    assert len(sha_a) == len(sha_b) == 40 and sha_a != sha_b
    again = StringIO()
    call_command("make_tiny_model", "test-org/tiny-b", stdout=again)
    assert again.getvalue().split() == [sha_b]  # deterministic
    env = {**os.environ, "HF_HOME": settings.HF_HOME, "HF_HUB_OFFLINE": "1"}
    for revision in (sha_b, "main"):
        result = subprocess.run(
            [sys.executable, "-c", LOAD, "test-org/tiny-b", revision], env=env, capture_output=True, text=True
        )
        assert result.stdout.strip() == "True", result.stderr


@pytest.mark.parametrize("name", ["no-slash", "a/b/c", "../x", "org/na me"])
def test_make_tiny_model_refuses_bad_names(name):
    with pytest.raises(CommandError):
        call_command("make_tiny_model", name)


def test_make_tiny_model_chat_builds_a_chat_model_and_prints_its_sha_last(tiny_chat_model, hub_cache):
    repo_id, sha = tiny_chat_model
    out = StringIO()
    call_command("make_tiny_model", repo_id, "--chat", "--thinking", "--favourite", "1", stdout=out)
    assert out.getvalue().split()[-1] == sha  # deterministic: the session fixture built the same commit
    snapshot = hub_cache / f"models--{repo_id.replace('/', '--')}" / "snapshots" / sha
    assert "chat_template" in json.loads((snapshot / "tokenizer_config.json").read_text())
    assert (hub_cache / f"models--{repo_id.replace('/', '--')}" / "refs" / "main").read_text() == sha


def test_thinking_and_favourite_need_chat():
    with pytest.raises(CommandError, match="--chat"):
        call_command("make_tiny_model", "test-org/x", "--thinking")
