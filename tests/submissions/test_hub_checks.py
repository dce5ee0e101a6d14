"""Every hub check, each with a tiny cached model that fails exactly it (HF_HUB_OFFLINE=1: the cache source)."""

import json

import pytest
from huggingface_hub import ModelCard, ModelCardData

from devtools.hub_repo import repo_cache_dir
from devtools.tiny_model import build_tiny_adapter, tiny_model_files
from submissions.checks_child import model_facts
from submissions.errors import SubmissionError
from submissions.hub import CARD_MIN_WORDS
from submissions.models import ModelSubmission, Status

pytestmark = pytest.mark.django_db


def expected_params(hub, repo_id, sha) -> int:
    """What the docstring of build_tiny_model says a Llama of this shape has."""
    config = json.loads((repo_cache_dir(hub.root, repo_id) / "snapshots" / sha / "config.json").read_text())
    v, h, layers = config["vocab_size"], config["hidden_size"], config["num_hidden_layers"]
    return 2 * v * h + layers * (4 * h * h + 3 * h * 2 * h + 2 * h) + h


def refused(submit, user, model_id, field, message, **fields):
    with pytest.raises(SubmissionError) as caught:
        submit(user, model_id, **fields)
    assert caught.value.field == field
    assert message in caught.value.message, caught.value.message
    # the web request's refusals store nothing; the checks' leave the submission REJECTED with their message
    # (it counts against its submitter's quota)
    stored = ModelSubmission.objects.filter(model_id=model_id)
    assert [(s.status, s.failure_reason) for s in stored] in ([], [(Status.REJECTED, caught.value.message)])
    return caught.value.message


def test_a_valid_model_passes_and_its_facts_are_stored(hub, user, submit):
    sha = hub.build("i3-checks/valid", info={"likes": 7})
    submission = submit(user, "i3-checks/valid")
    assert submission.status == Status.PENDING_REVIEW and submission.commit_sha == sha
    assert submission.facts == {
        "model_id": "i3-checks/valid",
        "commit_sha": sha,
        "num_params": expected_params(hub, "i3-checks/valid", sha),
        "architecture": "LlamaForCausalLM",
        "license": "apache-2.0",
        "likes": 7,
        "is_moe": False,
        "private": False,
        "gated": False,
        "quantization": "",
        "base_model": "",
        "base_commit_sha": "",
    }


def test_the_parameter_count_is_the_models_own(hub):
    """From the safetensors headers, as transformers counts the loaded model; not from the name."""
    from transformers import AutoModelForCausalLM

    sha = hub.build("i3-checks/llama-70b-chat", num_layers=3, hidden_size=32)
    facts = model_facts("i3-checks/llama-70b-chat", precision="float32")
    loaded = AutoModelForCausalLM.from_pretrained("i3-checks/llama-70b-chat", revision=sha)
    assert facts.num_params == loaded.num_parameters() == expected_params(hub, "i3-checks/llama-70b-chat", sha)


def test_gptq_packed_weights_count_as_the_weights_they_pack(hub):
    sha = hub.build("i3-checks/gptq", gptq=True)
    plain_sha = hub.build("i3-checks/gptq-plain")
    facts = model_facts("i3-checks/gptq", precision="GPTQ")
    assert facts.num_params == expected_params(hub, "i3-checks/gptq", sha)
    assert facts.num_params == model_facts("i3-checks/gptq-plain", precision="float16").num_params
    assert facts.quantization == "gptq 4-bit"
    assert plain_sha != sha


def test_gptq_precision_must_match_the_weights(hub, user, submit):
    hub.build("i3-checks/gptq", gptq=True)
    hub.build("i3-checks/valid")
    refused(submit, user, "i3-checks/gptq", "precision", "are GPTQ-quantised; choose GPTQ", precision="float16")
    refused(submit, user, "i3-checks/valid", "precision", "is not GPTQ-quantised", precision="GPTQ")


def test_a_model_that_does_not_exist(hub, user, submit):
    refused(submit, user, "i3-checks/nothing-here", "model_id", "There is no model i3-checks/nothing-here")


def test_a_private_model(hub, user, submit):
    hub.build("i3-checks/private", info={"private": True})
    refused(submit, user, "i3-checks/private", "model_id", "i3-checks/private is private")


def test_a_gated_model_is_allowed(hub, user, submit):
    hub.build("i3-checks/gated", info={"gated": "manual"})
    assert submit(user, "i3-checks/gated").facts["gated"] is True


def test_a_revision_that_does_not_exist(hub, user, submit):
    hub.build("i3-checks/valid")
    refused(submit, user, "i3-checks/valid", "revision", "i3-checks/valid has no revision 'v2'", revision="v2")


def test_a_revision_resolves_to_the_commit_sha_which_is_stored(hub, user, submit):
    first = hub.build("i3-checks/moving", num_layers=1)
    second = hub.build("i3-checks/moving", num_layers=2)  # a new push: main moves
    hub.set_info("i3-checks/moving", {"main_history": [first]})  # and the first commit stays in its history
    assert submit(user, "i3-checks/moving", revision="main").commit_sha == second
    by_sha = submit(user, "i3-checks/moving", revision=first)
    assert (by_sha.revision, by_sha.commit_sha) == (first, first)


def test_weights_that_are_not_safetensors(hub, user, submit):
    hub.build("i3-checks/pickled", safetensors=False)
    refused(submit, user, "i3-checks/pickled", "model_id", "not in safetensors format (found pytorch_model.bin)")


def test_no_weights_at_all(hub, user, submit):
    files = tiny_model_files("i3-checks/no-weights")
    del files["model.safetensors"]
    hub.write("i3-checks/no-weights", files)
    refused(submit, user, "i3-checks/no-weights", "model_id", "has no model weights")


def test_a_broken_safetensors_header(hub, user, submit):
    files = tiny_model_files("i3-checks/broken-header")
    files["model.safetensors"] = b"\xff" * 8 + b"{}"
    hub.write("i3-checks/broken-header", files)
    refused(
        submit,
        user,
        "i3-checks/broken-header",
        "model_id",
        "model.safetensors of i3-checks/broken-header is not a valid safetensors file",
    )


def test_sharded_weights_are_counted_over_every_shard(hub, user, submit):
    from safetensors.torch import load, save

    files = tiny_model_files("i3-checks/sharded")
    tensors = load(files.pop("model.safetensors"))
    names = sorted(tensors)
    shards = {"model-00001-of-00002.safetensors": names[::2], "model-00002-of-00002.safetensors": names[1::2]}
    for shard, shard_names in shards.items():
        files[shard] = save({name: tensors[name] for name in shard_names})
    weight_map = {name: shard for shard, shard_names in shards.items() for name in shard_names}
    files["model.safetensors.index.json"] = json.dumps({"metadata": {}, "weight_map": weight_map}).encode()
    sha = hub.write("i3-checks/sharded", files)
    assert submit(user, "i3-checks/sharded").facts["num_params"] == expected_params(hub, "i3-checks/sharded", sha)


def test_no_model_card(hub, user, submit):
    hub.build("i3-checks/no-card", card=False)
    refused(submit, user, "i3-checks/no-card", "model_id", "has no model card (README.md)")


def test_a_card_without_a_license(hub, user, submit):
    hub.build("i3-checks/no-license", license=None)
    refused(submit, user, "i3-checks/no-license", "model_id", "has no license")


def test_license_other_needs_a_name_and_a_link(hub, user, submit):
    hub.build("i3-checks/other-no-link", license="other", license_name="tiny-license")
    refused(
        submit, user, "i3-checks/other-no-link", "model_id", "`license: other` with `license_name` and `license_link`"
    )
    hub.build("i3-checks/custom-license", license_name="tiny-license", license_link="https://example.org/LICENSE")
    assert submit(user, "i3-checks/custom-license").facts["license"] == "tiny-license"


@pytest.mark.parametrize(
    "card_text",
    [
        "",
        "# i3-checks/thin\n\nTODO: write this.\n",
        str(ModelCard.from_template(ModelCardData(license="mit"), model_id="i3-checks/thin").text),
    ],
    ids=["front-matter-only", "a-heading-and-a-todo", "the-hubs-empty-template"],
)
def test_a_card_without_real_content(hub, user, submit, card_text):
    hub.build("i3-checks/thin", card_text=card_text)
    refused(submit, user, "i3-checks/thin", "model_id", "says too little")


def test_a_short_card_with_real_content_is_enough(hub, user, submit):
    text = "A tiny Llama fine-tuned for two epochs on PubMedQA abstracts to answer yes, no or maybe. " * 2
    hub.build("i3-checks/short-card", card_text=text)
    assert len(text.split()) >= CARD_MIN_WORDS
    assert submit(user, "i3-checks/short-card").status == Status.PENDING_REVIEW


def test_a_card_with_broken_metadata(hub, user, submit):
    files = tiny_model_files("i3-checks/bad-yaml")
    files["README.md"] = b"---\nlicense: [mit\n---\n" + files["README.md"].split(b"---\n", 2)[2]
    hub.write("i3-checks/bad-yaml", files)
    refused(submit, user, "i3-checks/bad-yaml", "model_id", "model card is not valid YAML")


def test_a_model_that_needs_remote_code(hub, user, submit):
    hub.build("i3-checks/remote-code", remote_code=True)
    refused(submit, user, "i3-checks/remote-code", "model_id", "needs trust_remote_code")


def test_a_config_that_does_not_load(hub, user, submit):
    files = tiny_model_files("i3-checks/bad-config")
    files["config.json"] = b'{"model_type": "no-such-architecture"}'
    hub.write("i3-checks/bad-config", files)
    refused(
        submit,
        user,
        "i3-checks/bad-config",
        "model_id",
        "The config of i3-checks/bad-config does not load with AutoConfig",
    )


def test_a_tokenizer_that_does_not_load(hub, user, submit):
    files = {
        k: v
        for k, v in tiny_model_files("i3-checks/no-tokenizer").items()
        if not k.startswith(("tokenizer", "special"))
    }
    hub.write("i3-checks/no-tokenizer", files)
    refused(
        submit,
        user,
        "i3-checks/no-tokenizer",
        "model_id",
        "The tokenizer of i3-checks/no-tokenizer does not load with AutoTokenizer",
    )


def test_chat_template_asked_for_but_missing(hub, user, submit):
    hub.build("i3-checks/no-chat-template")
    refused(
        submit, user, "i3-checks/no-chat-template", "use_chat_template", "has no chat template", use_chat_template=True
    )


def test_chat_template_asked_for_and_present(hub, user, submit):
    hub.build("i3-checks/chat", chat_template=True)
    assert submit(user, "i3-checks/chat", use_chat_template=True).use_chat_template is True


@pytest.mark.parametrize(
    "precision,allowed", [("float32", False), ("float16", False), ("bfloat16", False), ("8bit", True), ("4bit", True)]
)
def test_the_size_limit_depends_on_the_precision(hub, user, submit, settings, precision, allowed):
    sha = hub.build("i3-checks/valid")
    params = expected_params(hub, "i3-checks/valid", sha)
    settings.SUBMISSION_MAX_PARAMS_16BIT = params - 1  # 16-bit: just too big; 8bit allows twice that
    if allowed:
        assert submit(user, "i3-checks/valid", precision=precision).facts["num_params"] == params
    else:
        refused(submit, user, "i3-checks/valid", "precision", f"has {params:,} parameters", precision=precision)


def test_gptq_4bit_gets_four_times_the_16bit_limit(hub, user, submit, settings):
    sha = hub.build("i3-checks/gptq", gptq=True)
    params = expected_params(hub, "i3-checks/gptq", sha)
    settings.SUBMISSION_MAX_PARAMS_16BIT = params // 4 + 1
    assert submit(user, "i3-checks/gptq", precision="GPTQ").facts["num_params"] == params
    settings.SUBMISSION_MAX_PARAMS_16BIT = params // 4 - 1
    ModelSubmission.objects.all().delete()
    refused(submit, user, "i3-checks/gptq", "precision", "in GPTQ we evaluate models of at most", precision="GPTQ")


def test_delta_and_adapter_need_a_base_model(hub, user, submit):
    hub.build("i3-checks/valid")
    refused(submit, user, "i3-checks/valid", "base_model", "need the base model", weight_type="Delta")
    refused(
        submit, user, "i3-checks/valid", "base_model", "organisation/name", weight_type="Delta", base_model="../etc"
    )


@pytest.mark.parametrize("weight_type", ["Delta", "Adapter"])
@pytest.mark.parametrize(
    "base,variant,message",
    [
        ("i3-checks/base-missing", None, "There is no model i3-checks/base-missing"),
        ("i3-checks/base-private", {"info": {"private": True}}, "is private"),
        ("i3-checks/base-pickled", {"safetensors": False}, "not in safetensors format"),
        ("i3-checks/base-no-license", {"license": None}, "has no license"),
        ("i3-checks/base-remote-code", {"remote_code": True}, "needs trust_remote_code"),
    ],
)
def test_the_base_model_passes_the_same_checks(hub, user, submit, weight_type, base, variant, message):
    hub.build("i3-checks/valid")
    write_adapter(hub, "i3-checks/lora-adapter", "i3-checks/valid")
    if variant is not None:
        hub.build(base, **variant)
    model = "i3-checks/lora-adapter" if weight_type == "Adapter" else "i3-checks/valid"
    refused(submit, user, model, "base_model", message, weight_type=weight_type, base_model=base)


def write_adapter(hub, repo_id: str, base_id: str) -> str:
    """A LoRA adapter of the tiny base model, saved by PEFT, with a model card."""
    return build_tiny_adapter(repo_id, base_id=base_id, hub_cache=hub.root)


def test_an_adapter_counts_its_base_models_parameters_too(hub, user, submit):
    base_sha = hub.build("i3-checks/valid")
    sha = write_adapter(hub, "i3-checks/lora-adapter", "i3-checks/valid")
    submission = submit(user, "i3-checks/lora-adapter", weight_type="Adapter", base_model="i3-checks/valid")
    h, layers, r = 64, 2, 4
    lora = layers * 2 * (r * h + h * r)  # A and B of q_proj and v_proj in each layer
    assert submission.facts["num_params"] == expected_params(hub, "i3-checks/valid", base_sha) + lora
    assert (submission.base_model, submission.facts["base_commit_sha"], submission.commit_sha) == (
        "i3-checks/valid",
        base_sha,
        sha,
    )
    assert submission.facts["architecture"] == "LlamaForCausalLM"


def test_an_adapter_needs_adapter_files(hub, user, submit):
    hub.build("i3-checks/valid")
    refused(
        submit,
        user,
        "i3-checks/valid",
        "model_id",
        "is not a PEFT adapter",
        weight_type="Adapter",
        base_model="i3-checks/valid",
    )


def test_a_delta_passes_with_a_good_base(hub, user, submit):
    base_sha = hub.build("i3-checks/valid")
    hub.build("i3-checks/delta")
    submission = submit(user, "i3-checks/delta", weight_type="Delta", base_model="i3-checks/valid")
    assert submission.facts["base_commit_sha"] == base_sha and submission.base_model == "i3-checks/valid"


def test_original_weights_ignore_a_base_model(hub, user, submit):
    hub.build("i3-checks/valid")
    assert submit(user, "i3-checks/valid", base_model="whatever/thing").base_model == ""


def test_a_blocked_model_is_refused_with_its_reason(hub, user, submit):
    from submissions.models import BlockedModel

    hub.build("i3-checks/valid")
    BlockedModel.objects.create(model_id="I3-Checks/Valid", reason="Trained on the test sets <b>MedQA</b>.")
    refused(submit, user, "i3-checks/valid", "model_id", "may not be submitted: Trained on the test sets <b>MedQA</b>.")
