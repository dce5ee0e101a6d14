"""What the Hugging Face hub says about a model, as one ModelFacts record, and every hub check.

The checks come in two parts:

- ``submission_resolve``, the cheap and bounded part the web request runs: the revision rules, the
  commit the revision points to, the file list with sizes and the hub's fields (private, gated,
  likes), through the hub API with a timeout. It never imports transformers.
- ``submissions.checks_child.model_facts``, every check: the same, then the small files (each checked against
  CheckLimits.max_file_bytes before it is read or downloaded), the model card (YAML without
  anchors or aliases, text handled in linear time, strings of bounded length), config and
  tokenizer through transformers without remote code, the chat template, the safetensors
  headers and the size limit. It runs in the checks child (submissions.checks_child), never in
  the web process or a cluster's parent.

Both read a model through one of two sources with the same interface:

- ``HubApiSource`` (online): the hub API (``huggingface_hub.HfApi``); every request has a timeout.
  The web request resolves through it; online, the checks child's parent fetches what the checks
  read through it (``submissions.hub_fetch``) into a private cache the child reads offline.
- ``CacheSource`` (``HF_HUB_OFFLINE=1``, and always in the checks child): a Hugging Face cache, the
  one transformers itself loads from offline. The cache keeps no hub metadata, so a small JSON file
  ``<hub cache>/models--ORG--NAME/hub_info.json`` stands in for the hub API's fields
  ``private``, ``gated`` (false, "auto" or "manual"), ``likes``, ``main_history`` (the commits
  of the main branch besides the one ``refs/main`` points at) and ``files`` (path -> size, for a
  cache that holds only some of them); without it a cached model is public, not gated and
  unliked, its main branch is its ``refs/main`` commit and its files are the snapshot's. The tests
  write it beside the tiny models they build.

Each failing check raises SubmissionError(field, message) with its own message; a hub that does
not answer raises HubUnavailable.
"""

import functools
import json
import math
import re
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx2
import yaml
from django.conf import settings
from huggingface_hub import HfApi, constants, set_client_factory
from huggingface_hub.errors import (
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils._http import default_client_factory

from evaluation.precision import WeightType
from submissions.errors import HubUnavailable, SubmissionError

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


# --- sources -----------------------------------------------------------------------


def _revision_field(field: str) -> str:
    """A missing revision is the revision field's fault; the base model's (always main) is the base model's."""
    return "revision" if field == "model_id" else field


def _not_on_main(model_id: str, sha: str, field: str) -> SubmissionError:
    return SubmissionError(
        _revision_field(field),
        f"Commit {sha[:7]} is not in the history of {model_id}'s main branch (it may come from a pull request "
        "or another branch). Enter a branch or tag, or a commit of the main branch.",
    )


class CacheSource:
    """The local Hugging Face cache (HF_HUB_OFFLINE=1); see the module docstring for hub_info.json."""

    def __init__(self, limits: CheckLimits):
        self.cache = Path(constants.HF_HUB_CACHE)
        self.limits = limits

    def _repo_dir(self, model_id: str) -> Path:
        return self.cache / repo_folder_name(repo_id=model_id, repo_type="model")

    def repo(self, model_id: str, revision: str, *, field: str, pinned: bool = False) -> RepoInfo:
        """``pinned``: ``revision`` is the commit an earlier resolve found; its history is not checked again."""
        repo_dir = self._repo_dir(model_id)
        if not (repo_dir / "snapshots").is_dir():
            raise SubmissionError(
                field,
                f"There is no model {model_id} in this server's Hugging Face cache. The server works offline "
                "(HF_HUB_OFFLINE=1), so only models already in its cache can be submitted: the submit page lists them.",
            )
        info_file = repo_dir / HUB_INFO_FILE
        info = json.loads(info_file.read_text()) if info_file.is_file() else {}
        ref = repo_dir / "refs" / revision
        if COMMIT_SHA.fullmatch(revision) and (repo_dir / "snapshots" / revision).is_dir():
            main = repo_dir / "refs" / "main"
            on_main = {main.read_text().strip()} if main.is_file() else set()
            if not pinned and revision not in on_main | set(info.get("main_history", [])):
                raise _not_on_main(model_id, revision, field)
            sha = revision
        elif ref.is_file():
            sha = ref.read_text().strip()
        else:
            raise SubmissionError(_revision_field(field), f"{model_id} has no revision {revision!r}.")
        snapshot = repo_dir / "snapshots" / sha
        files = info.get("files") or {
            p.relative_to(snapshot).as_posix(): p.stat().st_size for p in snapshot.rglob("*") if p.is_file()
        }
        return RepoInfo(
            model_id=model_id,
            commit_sha=sha,
            files=files,
            private=bool(info.get("private", False)),
            gated=bool(info.get("gated", False)),
            likes=int(info.get("likes", 0)),
        )

    def snapshot(self, repo: RepoInfo, *, field: str) -> Path:
        return self._repo_dir(repo.model_id) / "snapshots" / repo.commit_sha

    def tensors(self, repo: RepoInfo, filename: str, *, field: str) -> dict[str, tuple[str, list[int]]]:
        """The safetensors header: 8 bytes little-endian length, then that much JSON."""
        path = self.snapshot(repo, field=field) / filename
        try:
            with path.open("rb") as f:
                (length,) = struct.unpack("<Q", f.read(8))
                if length > self.limits.max_file_bytes:
                    raise ValueError(f"header of {length} bytes")
                header = json.loads(f.read(length))
            return {name: (t["dtype"], t["shape"]) for name, t in header.items() if name != "__metadata__"}
        except FileNotFoundError:
            raise SubmissionError(field, f"{repo.model_id} lists {filename} but the file is missing.") from None
        except (OSError, ValueError, struct.error, KeyError, TypeError, AttributeError):
            raise SubmissionError(field, f"{filename} of {repo.model_id} is not a valid safetensors file.") from None


def cached_models() -> list[str]:
    """The models of the local Hugging Face cache (each with a snapshot): what can be submitted without the hub."""
    cache = Path(constants.HF_HUB_CACHE)
    if not cache.is_dir():
        return []
    return sorted(
        folder.name.removeprefix("models--").replace("--", "/")
        for folder in cache.glob("models--*")
        if (folder / "snapshots").is_dir() and any((folder / "snapshots").iterdir())
    )


def _hub_client(timeout_s: float):
    def client() -> httpx2.Client:
        made = default_client_factory()
        made.timeout = httpx2.Timeout(timeout_s)
        return made

    return client


class HubApiSource:
    """The Hugging Face hub API (huggingface_hub.HfApi), with the server's token if it has one. Every request
    huggingface_hub makes in this process times out after ``limits.hub_timeout_s``."""

    def __init__(self, limits: CheckLimits):
        set_client_factory(_hub_client(limits.hub_timeout_s))
        self.api = HfApi()
        self.limits = limits

    def unavailable(self, exc) -> HubUnavailable:
        return HubUnavailable(f"The Hugging Face hub did not answer ({type(exc).__name__}); try again later.")

    def repo(self, model_id: str, revision: str, *, field: str, pinned: bool = False) -> RepoInfo:
        """``pinned``: ``revision`` is the commit an earlier resolve found; its history is not checked again."""
        timeout = self.limits.hub_timeout_s
        try:  # gated models answer too: their metadata is public
            info = self.api.model_info(model_id, revision=revision, files_metadata=True, timeout=timeout)
            history = set() if pinned or not COMMIT_SHA.fullmatch(revision) else self._main_history(model_id)
            if history and revision not in history:
                raise _not_on_main(model_id, revision, field)
        except RevisionNotFoundError:
            raise SubmissionError(_revision_field(field), f"{model_id} has no revision {revision!r}.") from None
        except RepositoryNotFoundError:
            raise SubmissionError(field, f"There is no model {model_id} on the Hugging Face hub.") from None
        except httpx2.HTTPError as exc:
            raise self.unavailable(exc) from None
        return RepoInfo(
            model_id=info.id,
            commit_sha=info.sha,
            files={s.rfilename: s.size or 0 for s in info.siblings or []},
            private=bool(info.private),
            gated=bool(info.gated),
            likes=info.likes or 0,
        )

    def _main_history(self, model_id: str) -> set[str]:
        return {commit.commit_id for commit in self.api.list_repo_commits(model_id)}


def hub_source(limits: CheckLimits | None = None):
    limits = limits or CheckLimits.from_settings()
    return CacheSource(limits) if constants.HF_HUB_OFFLINE else HubApiSource(limits)


def check_public(repo: RepoInfo, field: str) -> None:
    if repo.private:
        raise SubmissionError(
            field, f"{repo.model_id} is private; only public models (gated ones too) can be evaluated."
        )


def submission_resolve(model_id: str, revision: str = "main", *, weight_type: str, base_model: str = "") -> ModelFacts:
    """The web request's part of the checks, cheap and bounded: the revision rules, the commits the revision
    (and the base model's main branch) point to, and the hub's fields. The rest is ``model_facts``'s."""
    source = hub_source()
    repo = source.repo(check_model_id(model_id), check_revision(revision), field="model_id")
    check_public(repo, "model_id")
    base = None
    if weight_type in (WeightType.DELTA, WeightType.ADAPTER):
        base = source.repo(check_model_id(base_model, field="base_model"), "main", field="base_model")
        check_public(base, "base_model")
    return ModelFacts(
        model_id=repo.model_id,
        commit_sha=repo.commit_sha,
        likes=repo.likes,
        private=repo.private,
        gated=repo.gated,
        base_model=base.model_id if base else "",
        base_commit_sha=base.commit_sha if base else "",
    )


# --- checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checked:
    """One repository that passed the checks."""

    repo: RepoInfo
    num_params: int
    license: str
    architecture: str = ""
    is_moe: bool = False
    quant_method: str = ""
    quant_bits: int | None = None
    chat_template: bool = False


def small_files(repo: RepoInfo) -> list[str]:
    return sorted(name for name in repo.files if "/" not in name and name.endswith(SMALL_FILE_SUFFIXES))


def check_sizes(repo: RepoInfo, limits: CheckLimits, *, field: str) -> None:
    """Before anything is downloaded or read: no small file over the per-file cap."""
    for name in small_files(repo):
        if repo.files[name] > limits.max_file_bytes:
            raise SubmissionError(
                field,
                f"{name} of {repo.model_id} is {repo.files[name] / 2**20:.1f} MiB; the checks read files of at most "
                f"{limits.max_file_bytes / 2**20:.0f} MiB.",
            )


def bounded(value, limit: int, what: str, repo: RepoInfo, *, field: str) -> str:
    """A string the checks store, refused when it is not a string or longer than ``limit`` characters."""
    if not isinstance(value, str) or len(value) > limit:
        size = f"{len(value):,} characters" if isinstance(value, str) else f"a {type(value).__name__}"
        raise SubmissionError(field, f"The {what} of {repo.model_id} is {size}; it must be text of at most {limit}.")
    return value.strip()


def weight_files(repo: RepoInfo, snapshot: Path, *, adapter: bool, field: str) -> list[str]:
    """The safetensors files transformers (or PEFT, for an adapter) would load."""
    files = repo.files
    if adapter:
        if "adapter_config.json" not in files:
            raise SubmissionError(field, f"{repo.model_id} is not a PEFT adapter: it has no adapter_config.json.")
        wanted = ["adapter_model.safetensors"] if "adapter_model.safetensors" in files else []
    elif "model.safetensors.index.json" in files:
        try:
            index = json.loads((snapshot / "model.safetensors.index.json").read_text())
            wanted = sorted(set(index["weight_map"].values()))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise SubmissionError(field, f"model.safetensors.index.json of {repo.model_id} is not valid.") from None
    else:
        wanted = ["model.safetensors"] if "model.safetensors" in files else []
    if wanted:
        return wanted
    others = sorted(f for f in files if f.endswith(OTHER_WEIGHTS))
    if others:
        raise SubmissionError(
            field,
            f"The weights of {repo.model_id} are not in safetensors format (found {', '.join(others[:3])}). "
            "Convert them to safetensors: they load faster and safer, and we read the parameter count from them.",
        )
    raise SubmissionError(field, f"{repo.model_id} has no model weights at this revision.")


def count_params(tensors: dict[str, tuple[str, list[int]]], quant_bits: int | None) -> int:
    """Parameters as the model has them, not as the checkpoint packs them.

    A 4-bit GPTQ checkpoint packs 8 weights in each int32 element of ``*.qweight`` and stores
    quantisation state (zeros, scales, group index) that are not parameters.
    """
    total = 0
    for name, (dtype, shape) in tensors.items():
        count = math.prod(shape)
        if quant_bits:
            if name.endswith(".qweight") and dtype == "I32":
                count = count * 32 // quant_bits
            elif name.endswith(QUANT_STATE_SUFFIXES):
                continue
        total += count
    return total


@functools.cache
def _card_boilerplate() -> frozenset[str]:
    """The lines of the hub's model card template as it comes, before anyone writes in it."""
    from huggingface_hub import ModelCard, ModelCardData

    return frozenset(line.strip() for line in ModelCard.from_template(ModelCardData()).text.splitlines())


def _without_comments(text: str) -> str:
    """The text without HTML comments, in one pass; an unclosed comment runs to the end, as in a browser."""
    kept, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        kept.append(text[pos:start])
        end = text.find("-->", start + 4)
        if end < 0:
            return " ".join(kept)
        pos = end + 3
    kept.append(text[pos:])
    return " ".join(kept)


def _card_words(text: str) -> int:
    """Words of real content: no headings, comments, placeholders or lines of the hub's empty template."""
    boilerplate = _card_boilerplate()
    kept = [
        line
        for line in _without_comments(text).splitlines()
        if line.strip()
        and not line.lstrip().startswith("#")
        and CARD_PLACEHOLDER not in line
        and line.strip() not in boilerplate
    ]
    return len(re.findall(r"[^\W\d_]{2,}", "\n".join(kept)))


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without anchors and aliases: a few lines of them expand to gigabytes ("billion laughs")."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(None, None, "anchors and aliases are not allowed", event.start_mark)
        return super().compose_node(parent, index)


def _split_card(text: str) -> tuple[str, str]:
    """(metadata block, text) as the hub splits a model card: the lines between a first line ``---`` and the
    next line ``---``; no block when either is missing."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        return "", text
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    return "", text


def card_license(repo: RepoInfo, snapshot: Path, *, field: str) -> str:
    """The license of the model card, which must exist, say something and name one (SubmissionError otherwise)."""
    readme = snapshot / "README.md"
    if not readme.is_file():
        raise SubmissionError(
            field,
            f"{repo.model_id} has no model card (README.md). Add one that says what the model is, "
            "how it was trained and on what data, with its license in the metadata.",
        )
    metadata, text = _split_card(readme.read_text(encoding="utf-8", errors="replace"))
    if len(metadata) > CARD_MAX_METADATA_CHARS:
        raise SubmissionError(
            field,
            f"The metadata block of {repo.model_id}'s model card is {len(metadata):,} characters long; "
            f"we read at most {CARD_MAX_METADATA_CHARS:,}.",
        )
    try:
        data = yaml.load(metadata, Loader=_NoAliasLoader) if metadata else {}
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0][:200]
        raise SubmissionError(
            field, f"The metadata block of {repo.model_id}'s model card is not valid YAML ({first_line})."
        ) from None
    if not isinstance(data, dict):
        data = {}
    license_, name, link = (
        bounded(str(data.get(key) or ""), MAX_LICENSE_CHARS, f"model card's {key}", repo, field=field)
        for key in ("license", "license_name", "license_link")
    )
    if not (license_ and license_ != "other") and not (name and link):
        raise SubmissionError(
            field,
            f"The model card of {repo.model_id} has no license: set `license` in its metadata, or "
            "`license: other` with `license_name` and `license_link` for a custom license.",
        )
    if _card_words(text) < CARD_MIN_WORDS:
        raise SubmissionError(
            field,
            f"The model card of {repo.model_id} says too little: describe the model, how it was trained and on "
            f"what data, and its limitations (at least {CARD_MIN_WORDS} words besides headings and template text).",
        )
    return name if license_ in ("", "other") else license_
