"""What the Hugging Face hub says about a model, as one ModelFacts record.

Two sources behind one function: the hub API online, or the local Hugging Face
cache when HF_HUB_OFFLINE=1 (the cache transformers itself loads from offline).
Every failing check raises SubmissionError with its own message.
"""

import re
from dataclasses import asdict, dataclass
from pathlib import Path

from submissions.errors import SubmissionError

# ORG/NAME, ASCII only (no look-alikes), no "..", "--", leading dots or dashes.
MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")


@dataclass(frozen=True)
class ModelFacts:
    model_id: str
    commit_sha: str
    num_params: int | None = None  # from the safetensors headers
    architecture: str = ""  # config.architectures[0]
    license: str = ""
    likes: int = 0
    is_moe: bool = False
    private: bool = False
    gated: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


def check_model_id(model_id: str) -> str:
    model_id = (model_id or "").strip()
    if not MODEL_ID.match(model_id) or ".." in model_id or "--" in model_id or model_id.endswith(".git"):
        raise SubmissionError(
            "model_id",
            "Enter a Hugging Face model id as organisation/name: letters, digits, '-', '_' and '.', "
            "at most 96 characters each side.",
        )
    return model_id


def check_revision(revision: str) -> str:
    revision = (revision or "main").strip()
    if not REVISION.match(revision) or ".." in revision or "//" in revision:
        raise SubmissionError("revision", "Enter a branch, tag or commit sha of the model repository.")
    return revision


def _offline_facts(model_id: str, revision: str) -> ModelFacts:
    from huggingface_hub import constants, try_to_load_from_cache
    from huggingface_hub.file_download import repo_folder_name

    repo_dir = Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=model_id, repo_type="model")
    if not repo_dir.is_dir():
        raise SubmissionError("model_id", f"There is no model {model_id} on the Hugging Face hub.")
    config = try_to_load_from_cache(model_id, "config.json", revision=revision)
    if not isinstance(config, str):
        raise SubmissionError("revision", f"{model_id} has no revision {revision!r}.")
    return ModelFacts(model_id=model_id, commit_sha=Path(config).parent.name)


def _online_facts(model_id: str, revision: str) -> ModelFacts:
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError, RevisionNotFoundError

    try:  # gated models answer too: their metadata is public
        info = HfApi().model_info(model_id, revision=revision)
    except RevisionNotFoundError:
        raise SubmissionError("revision", f"{model_id} has no revision {revision!r}.") from None
    except RepositoryNotFoundError:
        raise SubmissionError("model_id", f"There is no public model {model_id} on the Hugging Face hub.") from None
    except HfHubHTTPError as exc:
        raise SubmissionError(None, f"The Hugging Face hub did not answer ({exc}); try again later.") from None
    return ModelFacts(model_id=info.id, commit_sha=info.sha)


def model_facts(model_id: str, revision: str = "main") -> ModelFacts:
    from huggingface_hub import constants

    model_id, revision = check_model_id(model_id), check_revision(revision)
    source = _offline_facts if constants.HF_HUB_OFFLINE else _online_facts
    return source(model_id, revision)
