"""The hub checks, each raising SubmissionError(field, message) with its own message.

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
"""

import functools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from submissions.errors import SubmissionError
from submissions.hub import (
    CARD_MAX_METADATA_CHARS,
    CARD_MIN_WORDS,
    CARD_PLACEHOLDER,
    MAX_LICENSE_CHARS,
    OTHER_WEIGHTS,
    QUANT_STATE_SUFFIXES,
    SMALL_FILE_SUFFIXES,
    CheckLimits,
    RepoInfo,
)


def check_public(repo: RepoInfo, field: str) -> None:
    if repo.private:
        raise SubmissionError(
            field, f"{repo.model_id} is private; only public models (gated ones too) can be evaluated."
        )


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
