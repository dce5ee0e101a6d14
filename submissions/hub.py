"""What the Hugging Face hub says about a model, as one ModelFacts record, and every hub check.

``model_facts`` reads a model through one of two sources with the same interface:

- ``HubApiSource`` (online): the hub API (``huggingface_hub.HfApi``). It downloads only the
  small files the checks read (config, tokenizer, card) into the local cache, and reads the
  safetensors headers with HTTP range requests, never the weights.
- ``CacheSource`` (``HF_HUB_OFFLINE=1``): the local Hugging Face cache, the one transformers
  itself loads from offline. The cache keeps no hub metadata, so a small JSON file
  ``<hub cache>/models--ORG--NAME/hub_info.json`` stands in for the hub API's fields
  ``private``, ``gated`` (false, "auto" or "manual") and ``likes``; without it a cached
  model is public, not gated and unliked. The tests write it beside the tiny models they
  build to express private and gated models.

Every check after that runs on local files, the same way for both sources. Each failing
check raises SubmissionError(field, message) with its own message.
"""

import functools
import json
import math
import re
import struct
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings

from submissions.errors import SubmissionError
from submissions.models import Precision, WeightType

# ORG/NAME, ASCII only (no look-alikes), no "..", "--", leading dots or dashes.
MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")
REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")

HUB_INFO_FILE = "hub_info.json"
# The small files the checks read (config, tokenizer, card: all at the top of the repository);
# weights and the checkpoints some repositories keep in folders are never downloaded.
SMALL_FILE_SUFFIXES = (".json", ".md", ".txt", ".model", ".jinja", ".tiktoken")
OTHER_WEIGHTS = (".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".gguf", ".onnx")
MAX_HEADER_BYTES = 100 * 1024 * 1024
CARD_MIN_WORDS = 20
CARD_PLACEHOLDER = "[More Information Needed]"
BITS = {Precision.FLOAT32: 32, Precision.FLOAT16: 16, Precision.BFLOAT16: 16, Precision.INT8: 8, Precision.INT4: 4}
# Tensors a GPTQ/AWQ checkpoint stores beside its packed weights: quantisation state, not parameters.
QUANT_STATE_SUFFIXES = (".qzeros", ".scales", ".g_idx")
MOE_EXPERT_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")


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
    files: frozenset[str]
    private: bool = False
    gated: bool = False
    likes: int = 0


def check_model_id(model_id: str, field: str = "model_id") -> str:
    model_id = (model_id or "").strip()
    if not MODEL_ID.fullmatch(model_id) or ".." in model_id or "--" in model_id or model_id.endswith(".git"):
        raise SubmissionError(
            field,
            "Enter a Hugging Face model id as organisation/name: letters, digits, '-', '_' and '.', "
            "at most 96 characters each side.",
        )
    return model_id


def check_revision(revision: str) -> str:
    revision = (revision or "main").strip()
    if not REVISION.fullmatch(revision) or ".." in revision or "//" in revision:
        raise SubmissionError("revision", "Enter a branch, tag or commit sha of the model repository.")
    return revision


# --- sources -----------------------------------------------------------------------


def _revision_field(field: str) -> str:
    """A missing revision is the revision field's fault; the base model's (always main) is the base model's."""
    return "revision" if field == "model_id" else field


class CacheSource:
    """The local Hugging Face cache (HF_HUB_OFFLINE=1); see the module docstring for hub_info.json."""

    def __init__(self):
        from huggingface_hub import constants

        self.cache = Path(constants.HF_HUB_CACHE)

    def _repo_dir(self, model_id: str) -> Path:
        from huggingface_hub.file_download import repo_folder_name

        return self.cache / repo_folder_name(repo_id=model_id, repo_type="model")

    def repo(self, model_id: str, revision: str, *, field: str) -> RepoInfo:
        repo_dir = self._repo_dir(model_id)
        if not (repo_dir / "snapshots").is_dir():
            raise SubmissionError(field, f"There is no model {model_id} on the Hugging Face hub.")
        ref = repo_dir / "refs" / revision
        if COMMIT_SHA.fullmatch(revision) and (repo_dir / "snapshots" / revision).is_dir():
            sha = revision
        elif ref.is_file():
            sha = ref.read_text().strip()
        else:
            raise SubmissionError(_revision_field(field), f"{model_id} has no revision {revision!r}.")
        snapshot = repo_dir / "snapshots" / sha
        files = frozenset(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())
        info_file = repo_dir / HUB_INFO_FILE
        info = json.loads(info_file.read_text()) if info_file.is_file() else {}
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
                if length > MAX_HEADER_BYTES:
                    raise ValueError(f"header of {length} bytes")
                header = json.loads(f.read(length))
            return {name: (t["dtype"], t["shape"]) for name, t in header.items() if name != "__metadata__"}
        except FileNotFoundError:
            raise SubmissionError(field, f"{repo.model_id} lists {filename} but the file is missing.") from None
        except (OSError, ValueError, struct.error, KeyError, TypeError, AttributeError):
            raise SubmissionError(field, f"{filename} of {repo.model_id} is not a valid safetensors file.") from None


class HubApiSource:
    """The Hugging Face hub API (huggingface_hub.HfApi), with the server's token if it has one."""

    def __init__(self):
        from huggingface_hub import HfApi

        self.api = HfApi()

    def _unavailable(self, exc) -> SubmissionError:
        return SubmissionError(None, f"The Hugging Face hub did not answer ({type(exc).__name__}); try again later.")

    def repo(self, model_id: str, revision: str, *, field: str) -> RepoInfo:
        import httpx2
        from huggingface_hub.errors import RepositoryNotFoundError, RevisionNotFoundError

        try:  # gated models answer too: their metadata is public
            info = self.api.model_info(model_id, revision=revision)
        except RevisionNotFoundError:
            raise SubmissionError(_revision_field(field), f"{model_id} has no revision {revision!r}.") from None
        except RepositoryNotFoundError:
            raise SubmissionError(field, f"There is no model {model_id} on the Hugging Face hub.") from None
        except httpx2.HTTPError as exc:
            raise self._unavailable(exc) from None
        return RepoInfo(
            model_id=info.id,
            commit_sha=info.sha,
            files=frozenset(s.rfilename for s in info.siblings or []),
            private=bool(info.private),
            gated=bool(info.gated),
            likes=info.likes or 0,
        )

    def snapshot(self, repo: RepoInfo, *, field: str) -> Path:
        import httpx2
        from huggingface_hub.errors import GatedRepoError

        try:
            small = [name for name in repo.files if "/" not in name and name.endswith(SMALL_FILE_SUFFIXES)]
            folder = self.api.snapshot_download(repo.model_id, revision=repo.commit_sha, allow_patterns=small)
        except GatedRepoError:
            raise SubmissionError(
                field,
                f"{repo.model_id} is gated and this leaderboard has not been granted access to it yet; "
                "ask its authors to grant access, or submit it again later.",
            ) from None
        except httpx2.HTTPError as exc:
            raise self._unavailable(exc) from None
        return Path(folder)

    def tensors(self, repo: RepoInfo, filename: str, *, field: str) -> dict[str, tuple[str, list[int]]]:
        import httpx2
        from huggingface_hub.errors import EntryNotFoundError, SafetensorsParsingError

        try:
            meta = self.api.parse_safetensors_file_metadata(repo.model_id, filename, revision=repo.commit_sha)
        except EntryNotFoundError:
            raise SubmissionError(field, f"{repo.model_id} lists {filename} but the file is missing.") from None
        except SafetensorsParsingError:
            raise SubmissionError(field, f"{filename} of {repo.model_id} is not a valid safetensors file.") from None
        except httpx2.HTTPError as exc:
            raise self._unavailable(exc) from None
        return {name: (t.dtype, t.shape) for name, t in meta.tensors.items()}


def hub_source():
    from huggingface_hub import constants

    return CacheSource() if constants.HF_HUB_OFFLINE else HubApiSource()


# --- checks ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Checked:
    """One repository that passed the checks."""

    repo: RepoInfo
    num_params: int
    license: str
    architecture: str = ""
    is_moe: bool = False
    quant_method: str = ""
    quant_bits: int | None = None
    chat_template: bool = False


def _weight_files(repo: RepoInfo, snapshot: Path, *, adapter: bool, field: str) -> list[str]:
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


def _count_params(tensors: dict[str, tuple[str, list[int]]], quant_bits: int | None) -> int:
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


def _card_words(text: str) -> int:
    """Words of real content: no headings, comments, placeholders or lines of the hub's empty template."""
    boilerplate = _card_boilerplate()
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    kept = [
        line
        for line in text.splitlines()
        if line.strip()
        and not line.lstrip().startswith("#")
        and CARD_PLACEHOLDER not in line
        and line.strip() not in boilerplate
    ]
    return len(re.findall(r"[^\W\d_]{2,}", "\n".join(kept)))


def _check_card(repo: RepoInfo, snapshot: Path, *, field: str) -> str:
    """The model card has a license and says something; returns the license."""
    import yaml
    from huggingface_hub import ModelCard

    readme = snapshot / "README.md"
    if not readme.is_file():
        raise SubmissionError(
            field, f"{repo.model_id} has no model card (README.md). Add one that says what the model is, "
            "how it was trained and on what data, with its license in the metadata."
        )  # fmt: skip
    try:
        card = ModelCard(readme.read_text(encoding="utf-8", errors="replace"))
    except (yaml.YAMLError, ValueError) as exc:
        raise SubmissionError(
            field, f"The metadata block of {repo.model_id}'s model card is not valid YAML ({exc})."
        ) from None
    data = card.data.to_dict()
    license_, name, link = (str(data.get(key) or "").strip() for key in ("license", "license_name", "license_link"))
    if not (license_ and license_ != "other") and not (name and link):
        raise SubmissionError(
            field,
            f"The model card of {repo.model_id} has no license: set `license` in its metadata, or "
            "`license: other` with `license_name` and `license_link` for a custom license.",
        )
    if _card_words(card.text) < CARD_MIN_WORDS:
        raise SubmissionError(
            field,
            f"The model card of {repo.model_id} says too little: describe the model, how it was trained and on "
            f"what data, and its limitations (at least {CARD_MIN_WORDS} words besides headings and template text).",
        )
    return name if license_ in ("", "other") else license_


def _load_config_and_tokenizer(repo: RepoInfo, snapshot: Path, *, field: str) -> dict:
    """AutoConfig and AutoTokenizer load without remote code; what the checks need from them."""
    from transformers import AutoConfig, AutoTokenizer

    loaded = {}
    for what, auto in (("config", AutoConfig), ("tokenizer", AutoTokenizer)):
        try:
            loaded[what] = auto.from_pretrained(str(snapshot), trust_remote_code=False)
        except Exception as exc:  # noqa: BLE001 - files anyone can push: whatever the loader raises, it does not load
            if "trust_remote_code" in str(exc):
                raise SubmissionError(
                    field,
                    f"The {what} of {repo.model_id} needs trust_remote_code (custom code in the repository). "
                    "We only evaluate models that load with the transformers library's own code.",
                ) from None
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
            raise SubmissionError(
                field, f"The {what} of {repo.model_id} does not load with {auto.__name__}: {first_line}"
            ) from None
    config, tokenizer = loaded["config"], loaded["tokenizer"]
    quant = getattr(config, "quantization_config", None) or {}
    quant = quant if isinstance(quant, dict) else quant.to_dict()
    experts = (getattr(config, key, None) for key in MOE_EXPERT_KEYS)
    bits = quant.get("bits")
    return {
        "architecture": (getattr(config, "architectures", None) or [""])[0],
        "is_moe": any(isinstance(n, int) and n > 1 for n in experts),
        "quant_method": str(quant.get("quant_method") or ""),
        "quant_bits": bits if isinstance(bits, int) and bits > 0 else None,
        "chat_template": bool(getattr(tokenizer, "chat_template", None)),
    }


def check_repo(source, model_id: str, revision: str, *, field: str, adapter: bool = False) -> _Checked:
    """Every check one repository must pass on its own."""
    repo = source.repo(model_id, revision, field=field)
    if repo.private:
        raise SubmissionError(
            field, f"{repo.model_id} is private; only public models (gated ones too) can be evaluated."
        )
    snapshot = source.snapshot(repo, field=field)
    weights = _weight_files(repo, snapshot, adapter=adapter, field=field)
    license_ = _check_card(repo, snapshot, field=field)
    loaded = {} if adapter else _load_config_and_tokenizer(repo, snapshot, field=field)
    tensors = {}
    for filename in weights:
        tensors.update(source.tensors(repo, filename, field=field))
    return _Checked(
        repo=repo, license=license_, num_params=_count_params(tensors, loaded.get("quant_bits")), **loaded
    )


def max_params(precision: str, quant_bits: int | None = None) -> int:
    """The size limit: SUBMISSION_MAX_PARAMS_16BIT scaled by the bytes a weight takes in ``precision``."""
    bits = (quant_bits or 4) if precision == Precision.GPTQ else BITS[precision]
    return settings.SUBMISSION_MAX_PARAMS_16BIT * 16 // bits


def model_facts(
    model_id: str,
    revision: str = "main",
    *,
    precision: str,
    weight_type: str = WeightType.ORIGINAL,
    base_model: str = "",
    use_chat_template: bool = False,
) -> ModelFacts:
    """Check a submission's model (and base model) on the hub; raise SubmissionError at the first failure."""
    model_id, revision = check_model_id(model_id), check_revision(revision)
    source = hub_source()
    adapter = weight_type == WeightType.ADAPTER
    model = check_repo(source, model_id, revision, field="model_id", adapter=adapter)
    base = None
    if weight_type in (WeightType.DELTA, WeightType.ADAPTER):
        base = check_repo(source, check_model_id(base_model, field="base_model"), "main", field="base_model")
    runs = base if adapter else model  # whose config and tokenizer the evaluation loads

    if use_chat_template and not runs.chat_template:
        raise SubmissionError(
            "use_chat_template",
            f"The tokenizer config of {runs.repo.model_id} has no chat template; "
            "submit without the chat template, or add one to tokenizer_config.json.",
        )
    if runs.quant_method == "gptq" and precision != Precision.GPTQ:
        raise SubmissionError("precision", f"The weights of {runs.repo.model_id} are GPTQ-quantised; choose GPTQ.")
    if precision == Precision.GPTQ and runs.quant_method != "gptq":
        raise SubmissionError(
            "precision", f"{runs.repo.model_id} is not GPTQ-quantised (its config has no GPTQ quantization_config)."
        )
    num_params = model.num_params + (base.num_params if adapter else 0)
    limit = max_params(precision, runs.quant_bits)
    if num_params > limit:
        raise SubmissionError(
            "precision",
            f"{model.repo.model_id} has {num_params:,} parameters; in {precision} we evaluate models of at most "
            f"{limit:,} parameters.",
        )
    quantization = f"{runs.quant_method} {runs.quant_bits}-bit" if runs.quant_bits else runs.quant_method
    return ModelFacts(
        model_id=model.repo.model_id,
        commit_sha=model.repo.commit_sha,
        num_params=num_params,
        architecture=runs.architecture,
        license=model.license,
        likes=model.repo.likes,
        is_moe=runs.is_moe,
        private=model.repo.private,
        gated=model.repo.gated,
        quantization=quantization if runs.quant_method else "",
        base_model=base.repo.model_id if base else "",
        base_commit_sha=base.repo.commit_sha if base else "",
    )
