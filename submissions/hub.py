"""What the Hugging Face hub says about a model, as one ModelFacts record; the rules of a model id and a
revision; the limits of the checks. The sources a model is read through are submissions.hub_sources, the checks
submissions.hub_checks.

Each failing check raises SubmissionError(field, message) with its own message; a hub that does
not answer raises HubUnavailable.
"""

import re
from dataclasses import asdict, dataclass

from django.conf import settings

from submissions.errors import SubmissionError

# What we refuse beyond huggingface_hub's validate_repo_id: a name without its organisation, a part
# that starts with "_" (the hub's rule refuses a leading "-" or "." only).
ORG_NAME = re.compile(r"[A-Za-z0-9][^/]*/[A-Za-z0-9][^/]*")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")
PULL_REQUEST = "refs/pr/"

HUB_INFO_FILE = "hub_info.json"
# The small files the checks read (config, tokenizer, card: all at the top of the repository);
# weights and the checkpoints some repositories keep in folders are never downloaded.
SMALL_FILE_SUFFIXES = (".json", ".md", ".txt", ".model", ".jinja", ".tiktoken")
OTHER_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx")
CARD_MIN_WORDS = 20
CARD_PLACEHOLDER = "[More Information Needed]"
CARD_MAX_METADATA_CHARS = 64 * 1024
# The longest strings the checks store (the ranking's license column holds 100 characters).
MAX_LICENSE_CHARS = 100
MAX_ARCHITECTURE_CHARS = 100
MAX_QUANT_METHOD_CHARS = 32
# Tensors a GPTQ/AWQ checkpoint stores beside its packed weights: quantisation state, not parameters.
QUANT_STATE_SUFFIXES = (".qzeros", ".scales", ".g_idx")
MOE_EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")


@dataclass(frozen=True)
class CheckLimits:
    """What the checks may read and accept; the checks child gets them from its parent."""

    max_params_16bit: int
    max_file_bytes: int
    hub_timeout_s: float

    @classmethod
    def from_settings(cls) -> "CheckLimits":
        return cls(
            max_params_16bit=settings.SUBMISSION_MAX_PARAMS_16BIT,
            max_file_bytes=settings.CHECKS_MAX_FILE_MB * 1024 * 1024,
            hub_timeout_s=settings.HUB_TIMEOUT_S,
        )


@dataclass(frozen=True)
class ModelFacts:
    model_id: str
    commit_sha: str
    num_params: int | None = None  # from the safetensors headers (with the base model's, for an adapter)
    architecture: str = ""  # config.architectures[0] (the base model's, for an adapter)
    license: str = ""
    likes: int = 0
    is_moe: bool = False
    private: bool = False
    gated: bool = False
    quantization: str = ""  # e.g. "gptq 4-bit", for checkpoints stored quantised
    base_model: str = ""  # Delta and Adapter weights: the model they apply to ...
    base_commit_sha: str = ""  # ... at this commit (its main branch when submitted)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RepoInfo:
    """What a source knows about one revision of a repository."""

    model_id: str
    commit_sha: str
    files: dict[str, int]  # path -> size in bytes
    private: bool = False
    gated: bool = False
    likes: int = 0


def check_model_id(model_id: str, field: str = "model_id") -> str:
    """The one model-id rule (form, API, hub checks, tiny-model builder): huggingface_hub's
    ``validate_repo_id`` and ORG_NAME. Returns the id without surrounding spaces."""
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    model_id = (model_id or "").strip()
    try:
        validate_repo_id(model_id)
    except HFValidationError:
        valid = False
    else:
        valid = bool(ORG_NAME.fullmatch(model_id))
    if not valid:
        raise SubmissionError(
            field,
            "Enter a Hugging Face model id as organisation/name: letters, digits, '-', '_' and '.', at most 96 "
            "characters each side, each starting with a letter or digit and not ending with '-' or '.', "
            "without '--' or '..', not ending with '.git'.",
        )
    return model_id


def check_revision(revision: str) -> str:
    """Branches, tags and commits; never a pull request's ref, which anyone can open on any repository."""
    revision = (revision or "main").strip()
    if revision.startswith(PULL_REQUEST):
        raise SubmissionError(
            "revision",
            f"{revision[:100]} is a pull request: anyone can open one on any repository, so its weights are not "
            "the model's authors'. Enter a branch, a tag, or a commit of the main branch.",
        )
    if not REVISION.fullmatch(revision) or ".." in revision or "//" in revision:
        raise SubmissionError("revision", "Enter a branch, tag or commit sha of the model repository.")
    return revision
