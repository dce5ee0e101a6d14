"""The knobs of a tiny model (TinyModelVariant, see devtools.tiny_model.build_tiny_model) and the model card they
give."""

from __future__ import annotations

import dataclasses
from typing import Any

from devtools.tiny_tokenizer import MODEL_MAX_LENGTH


@dataclasses.dataclass(frozen=True)
class TinyModelVariant:
    """Knobs of :func:`build_tiny_model` (see its docstring)."""

    license: str | None = "apache-2.0"
    license_name: str | None = None
    license_link: str | None = None
    card: bool = True
    card_text: str | None = None
    safetensors: bool = True
    chat_template: bool = False
    remote_code: bool = False
    num_layers: int = 2
    hidden_size: int = 64
    gptq: bool = False
    gptq_group_size: int = 32
    files: dict[str, bytes] | None = None
    seed: int | None = None
    init_std: float = 0.02

    def __post_init__(self) -> None:
        if not isinstance(self.num_layers, int) or self.num_layers < 1:
            raise ValueError(f"num_layers must be a positive int, got {self.num_layers!r}")
        if not isinstance(self.hidden_size, int) or self.hidden_size < 2 or self.hidden_size % 2:
            raise ValueError(f"hidden_size must be an even int >= 2, got {self.hidden_size!r}")
        if self.gptq:
            g = self.gptq_group_size
            if g < 8 or g % 8 or self.hidden_size % g:
                raise ValueError(
                    f"gptq needs gptq_group_size (a multiple of 8) to divide hidden_size; "
                    f"got group size {g} and hidden_size {self.hidden_size}"
                )

    @property
    def num_heads(self) -> int:
        for heads in (4, 2, 1):
            if self.hidden_size % heads == 0 and (self.hidden_size // heads) % 2 == 0:
                return heads
        return 1  # unreachable: hidden_size is even

    @property
    def intermediate_size(self) -> int:
        return 2 * self.hidden_size


def variant_card(repo_id: str, variant: TinyModelVariant, num_params: int) -> bytes:
    import yaml

    meta: dict[str, Any] = {}
    license_ = variant.license
    if (variant.license_name or variant.license_link) and license_ == "apache-2.0":
        license_ = "other"
    if license_ is not None:
        meta["license"] = license_
    if variant.license_name is not None:
        meta["license_name"] = variant.license_name
    if variant.license_link is not None:
        meta["license_link"] = variant.license_link
    meta["language"] = ["en"]
    meta["library_name"] = "transformers"
    meta["pipeline_tag"] = "text-generation"
    meta["tags"] = ["llama", "tiny", "random-weights", "testing", "text-generation"]
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, default_flow_style=False)

    if variant.card_text is not None:
        prose = variant.card_text
    else:
        weights = "GPTQ 4-bit packed" if variant.gptq else "float32"
        prose = (
            f"# {repo_id}\n\n"
            f"`{repo_id}` is a tiny, randomly initialised causal language model with the "
            f"Llama architecture: {variant.num_layers} decoder layers, hidden size "
            f"{variant.hidden_size}, {variant.num_heads} attention heads and a context "
            f"window of {MODEL_MAX_LENGTH} tokens, for about {num_params:,} parameters "
            f"stored as {weights} weights.\n\n"
            "## Intended use\n\n"
            "The model exists to exercise evaluation pipelines, leaderboards and "
            "submission checks end to end without downloading a real checkpoint. It "
            "loads with `AutoModelForCausalLM` and `AutoTokenizer` and runs in "
            "milliseconds on a CPU.\n\n"
            "## Training\n\n"
            "The weights were never trained: they are drawn from a normal distribution "
            "with a seed derived from the repository name, so every build is "
            "reproducible. The byte-level BPE tokenizer was trained on a few paragraphs "
            "of English and biomedical text.\n\n"
            "## Limitations\n\n"
            "Its outputs are meaningless and its benchmark scores are at chance level. "
            "Do not use it for anything but testing.\n"
        )
    text = f"---\n{front}---\n"
    if prose:
        text += "\n" + prose
        if not text.endswith("\n"):
            text += "\n"
    return text.encode()
