"""Build tiny random causal language models directly into a Hugging Face hub cache.

The models produced here are used by the test-suite (and by developers, through the
``make_tiny_model`` management command) in place of real checkpoints: the hub is not
reachable from the test machines, so instead of downloading ``ORG/NAME`` we *fabricate*
a repository and write it into ``$HF_HOME/hub`` the way ``huggingface_hub`` lays out a
downloaded repo (devtools.hub_repo). The files are determined by ``repo_id``, the variant
(devtools.tiny_variants) and the installed transformers version, which ``config.json``
records; weights are initialised from a torch RNG seeded from ``repo_id`` (the global RNG
state is restored afterwards), so the same ``repo_id`` and variant always give the same
commit sha, and rebuilding is idempotent. The tokenizer is devtools.tiny_tokenizer's.

After ``build_tiny_model("org/name", hub_cache=Path(os.environ["HF_HOME"]) / "hub")``,
with ``HF_HUB_OFFLINE=1``, ``AutoConfig``/``AutoTokenizer``/``AutoModelForCausalLM``
``.from_pretrained("org/name", revision=<sha> or "main")``, ``scan_cache_dir()``,
``try_to_load_from_cache`` and ``hf_hub_download(..., local_files_only=True)`` all work,
and so does ``lm_eval --model hf --model_args pretrained=org/name,revision=<sha>``.

Model ids follow the platform's one rule (``submissions.hub.check_model_id``); torch,
transformers and tokenizers are imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tempfile
import threading
from pathlib import Path
from typing import Any

from devtools.hub_repo import GITATTRIBUTES, write_repo
from devtools.tiny_tokenizer import CHAT_TEMPLATE, MODEL_MAX_LENGTH, SPECIAL_TOKENS, json_bytes, tokenizer_files
from devtools.tiny_variants import TinyModelVariant, variant_card
from submissions.hub import check_model_id

_lock = threading.Lock()


_CONFIGURATION_TINY = '''\
"""Custom configuration for a tiny test model (loaded only with trust_remote_code)."""
from transformers import LlamaConfig


class TinyCustomConfig(LlamaConfig):
    model_type = "tiny_custom_llama"
'''

_MODELING_TINY = '''\
"""Custom modeling code for a tiny test model (loaded only with trust_remote_code)."""
from transformers import LlamaForCausalLM

from .configuration_tiny import TinyCustomConfig


class TinyCustomForCausalLM(LlamaForCausalLM):
    config_class = TinyCustomConfig
'''

_LINEAR_SUFFIXES = (
    "self_attn.q_proj",
    "self_attn.k_proj",
    "self_attn.v_proj",
    "self_attn.o_proj",
    "mlp.gate_proj",
    "mlp.up_proj",
    "mlp.down_proj",
)


def _seed_for(repo_id: str) -> int:
    return int.from_bytes(hashlib.sha256(repo_id.encode()).digest()[:8], "big") & (2**63 - 1)


def _gptq_pack(state: dict, variant: TinyModelVariant, seed: int) -> dict:
    """Replace each decoder linear ``*.weight`` by AutoGPTQ-style packed tensors."""
    import torch

    bits, group = 4, variant.gptq_group_size
    pack = 32 // bits
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for name, tensor in state.items():
        prefix = name[: -len(".weight")]
        if name.endswith(".weight") and prefix.endswith(_LINEAR_SUFFIXES):
            out_f, in_f = tensor.shape
            if in_f % group or out_f % pack:
                raise ValueError(f"{name}: shape {tuple(tensor.shape)} cannot be GPTQ-packed")
            out[prefix + ".qweight"] = torch.randint(
                -(2**31), 2**31 - 1, (in_f // pack, out_f), dtype=torch.int32, generator=gen
            )
            # symmetric 4-bit: zero point 8, stored as 8 - 1 = 7 in every nibble
            out[prefix + ".qzeros"] = torch.full((in_f // group, out_f // pack), 0x77777777, dtype=torch.int32)
            out[prefix + ".scales"] = (torch.rand((in_f // group, out_f), generator=gen) * 0.01 + 0.001).to(
                torch.float16
            )
            out[prefix + ".g_idx"] = (torch.arange(in_f, dtype=torch.int32) // group).to(torch.int32)
        else:
            out[name] = tensor.to(torch.float16)
    return out


def _model_files(repo_id: str, variant: TinyModelVariant, vocab: dict[str, int]) -> tuple[dict[str, bytes], int]:
    """The model files and the (unquantized) parameter count."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    heads = variant.num_heads
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=variant.hidden_size,
        intermediate_size=variant.intermediate_size,
        num_hidden_layers=variant.num_layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        head_dim=variant.hidden_size // heads,
        max_position_embeddings=MODEL_MAX_LENGTH,
        bos_token_id=vocab[SPECIAL_TOKENS["bos_token"]],
        eos_token_id=vocab[SPECIAL_TOKENS["eos_token"]],
        pad_token_id=vocab[SPECIAL_TOKENS["pad_token"]],
        tie_word_embeddings=False,
        initializer_range=variant.init_std,
        dtype="float32",
    )
    seed = _seed_for(repo_id) if variant.seed is None else variant.seed
    with _lock, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config).to(torch.float32).eval()
    # Byte-for-byte what ``model.save_pretrained`` writes, without its progress bar.
    model.config.architectures = [type(model).__name__]
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        model.config.save_pretrained(tmp)
        model.generation_config.save_pretrained(tmp)
        for name in ("config.json", "generation_config.json"):
            if Path(tmp, name).is_file():
                files[name] = Path(tmp, name).read_bytes()
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}

    cfg = json.loads(files["config.json"])
    if variant.gptq:
        state = _gptq_pack(state, variant, seed)
        quant = {
            "bits": 4,
            "group_size": variant.gptq_group_size,
            "damp_percent": 0.01,
            "desc_act": False,
            "sym": True,
            "true_sequential": True,
            "static_groups": False,
            "model_name_or_path": None,
            "model_file_base_name": "model",
            "quant_method": "gptq",
            "checkpoint_format": "gptq",
        }
        cfg["quantization_config"] = quant
        cfg["dtype"] = "float16"
        files["quantize_config.json"] = json_bytes({k: v for k, v in quant.items() if k != "quant_method"})
    if variant.safetensors:
        from safetensors.torch import save as st_save

        files["model.safetensors"] = st_save(state, metadata={"format": "pt"})
    else:
        buf = io.BytesIO()
        torch.save(state, buf)
        files["pytorch_model.bin"] = buf.getvalue()

    if variant.remote_code:
        cfg["model_type"] = "tiny_custom_llama"
        cfg["architectures"] = ["TinyCustomForCausalLM"]
        cfg["auto_map"] = {
            "AutoConfig": "configuration_tiny.TinyCustomConfig",
            "AutoModelForCausalLM": "modeling_tiny.TinyCustomForCausalLM",
        }
        files["configuration_tiny.py"] = _CONFIGURATION_TINY.encode()
        files["modeling_tiny.py"] = _MODELING_TINY.encode()
    files["config.json"] = json_bytes(cfg)
    return files, sum(p.numel() for p in model.parameters())


def tiny_model_files(repo_id: str, **variant: Any) -> dict[str, bytes]:
    """The files (name -> content) of the tiny model repo ``repo_id`` for ``variant``.

    Accepts the same keyword arguments as :func:`build_tiny_model`; writes nothing.
    """
    repo_id = check_model_id(repo_id)
    try:
        v = TinyModelVariant(**variant)
    except TypeError as exc:
        known = ", ".join(f.name for f in dataclasses.fields(TinyModelVariant))
        raise TypeError(f"{exc}; known variant options: {known}") from None

    files: dict[str, bytes] = {".gitattributes": GITATTRIBUTES.encode()}
    tok_files = dict(tokenizer_files())
    if v.chat_template:
        cfg = json.loads(tok_files["tokenizer_config.json"])
        cfg["chat_template"] = CHAT_TEMPLATE
        tok_files["tokenizer_config.json"] = json_bytes(cfg)
    files.update(tok_files)
    vocab = json.loads(tok_files["tokenizer.json"])["model"]["vocab"]
    for tok in json.loads(tok_files["tokenizer.json"]).get("added_tokens", []):
        vocab[tok["content"]] = tok["id"]
    model_files, num_params = _model_files(repo_id, v, vocab)
    files.update(model_files)
    if v.card:
        files["README.md"] = variant_card(repo_id, v, num_params)
    files.update(v.files or {})
    return dict(sorted(files.items()))


def build_tiny_model(repo_id: str, *, hub_cache: Path, **variant: Any) -> str:
    """Build the tiny random causal LM ``repo_id`` into the hub cache ``hub_cache``.

    ``hub_cache`` is ``$HF_HOME/hub`` (``huggingface_hub.constants.HF_HUB_CACHE``). The
    repo is written as ``models--ORG--NAME/{blobs,refs/main,snapshots/<sha>/...}`` and
    ``refs/main`` is pointed at the new commit. Returns the 40-hex commit sha, which is
    a deterministic function of ``repo_id``, the variant and the transformers version;
    building again is a no-op. Building a *different* variant under the same
    ``repo_id`` adds a second snapshot and moves ``refs/main`` to it (like a new push).

    The normal model: Llama architecture, 2 layers, hidden size 64, 4 heads,
    ``max_position_embeddings`` 4096, ~1.5k-token (1474) byte-level BPE tokenizer
    (``<s>``/``</s>``/``<unk>``/``<pad>``, ``model_max_length`` 4096), float32
    ``model.safetensors``. Files: ``.gitattributes``, ``README.md``, ``config.json``,
    ``generation_config.json``, ``model.safetensors``, ``special_tokens_map.json``,
    ``tokenizer.json``, ``tokenizer_config.json``.

    Variants (keyword arguments; the defaults give the normal, valid model):

    ``license: str | None = "apache-2.0"``
        ``license`` field of the model card front matter; ``None`` omits the field.
    ``license_name: str | None = None``, ``license_link: str | None = None``
        Written to the front matter as ``license_name``/``license_link`` when given.
        If either is given and ``license`` is left at its default, ``license``
        becomes ``"other"`` (the hub convention for custom licenses); pass another
        ``license`` (or ``None``) explicitly to combine them differently.
    ``card: bool = True``
        ``False``: no ``README.md`` at all.
    ``card_text: str | None = None``
        Replaces the card's prose (the part after the front matter); ``""`` gives a
        card consisting of the YAML front matter only.
    ``safetensors: bool = True``
        ``False``: weights in ``pytorch_model.bin`` (``torch.save`` of the state dict)
        instead of ``model.safetensors``.
    ``chat_template: bool = False``
        ``True``: a simple Jinja ``chat_template`` (:data:`CHAT_TEMPLATE`) in
        ``tokenizer_config.json``.
    ``remote_code: bool = False``
        ``True``: ``config.json`` gets ``model_type: tiny_custom_llama`` and an
        ``auto_map`` pointing at ``configuration_tiny.TinyCustomConfig`` /
        ``modeling_tiny.TinyCustomForCausalLM`` (both files are included), so
        ``AutoConfig.from_pretrained`` refuses it without ``trust_remote_code=True``
        (with it, the model loads).
    ``num_layers: int = 2``, ``hidden_size: int = 64``
        Size knobs, for models of different parameter counts. Heads: 4 (or 2/1 when
        4 does not divide ``hidden_size`` into even head dims); MLP size
        ``2 * hidden_size``. Parameters: ``2*V*h + L*(4*h*h + 3*h*2h + 2*h) + h`` with
        ``V`` the vocab size (1474 with tokenizers 0.23), e.g. 270,912 for the defaults.
    ``gptq: bool = False``
        ``True``: weights packed the way AutoGPTQ / optimum-GPTQ store them: each
        decoder linear ``*.weight`` is replaced by int32 ``qweight`` ``[in/8, out]``,
        int32 ``qzeros`` ``[in/g, out/8]``, float16 ``scales`` ``[in/g, out]`` and
        int32 ``g_idx`` ``[in]``; embeddings, norms and ``lm_head`` are float16.
        ``config.json`` gets ``quantization_config`` ``{quant_method: gptq, bits: 4,
        group_size: g, desc_act: false, sym: true, ...}`` and ``dtype: float16``; a
        ``quantize_config.json`` is added. Structurally right (safetensors headers,
        config), not loadable without a GPTQ backend. Combines with
        ``safetensors=False``.
    ``gptq_group_size: int = 32``
        ``g`` above; must divide ``hidden_size``.
    ``seed: int | None = None``
        Seeds the weights (None: a seed derived from ``repo_id``): models built with different seeds answer
        differently (``make demo`` ranks several).
    ``init_std: float = 0.02``
        The standard deviation of the random weights (the config's ``initializer_range``). Larger weights make
        the answers depend more on each question, so random models score differently per task.
    ``files: dict[str, bytes] | None = None``
        Files (name -> content) added last, replacing any of the same name: hostile or broken
        cards, configs and tokenizers for the hub checks' tests.

    Unknown keyword arguments raise ``TypeError``; an invalid ``repo_id`` raises
    ``submissions.errors.SubmissionError`` (a ``ValueError``).
    """
    files = tiny_model_files(repo_id, **variant)
    return write_repo(repo_id, files, hub_cache=hub_cache, message=f"Tiny random model {repo_id}")


def build_tiny_adapter(repo_id: str, *, base_id: str, hub_cache: Path) -> str:
    """A LoRA adapter (saved by PEFT) of the tiny model ``base_id`` already in ``hub_cache``, with random
    non-zero weights so that it changes the base model's answers; returns its commit sha."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    state = torch.random.get_rng_state()
    torch.manual_seed(_seed_for(repo_id))
    try:
        base = AutoModelForCausalLM.from_pretrained(base_id, cache_dir=hub_cache)
        config = LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
        with tempfile.TemporaryDirectory() as tmp:
            get_peft_model(base, config).save_pretrained(tmp)
            files = {p.name: p.read_bytes() for p in Path(tmp).iterdir() if p.is_file()}
    finally:
        torch.random.set_rng_state(state)
    card = tiny_model_files(base_id)["README.md"].replace(base_id.encode(), repo_id.encode())
    files = {".gitattributes": GITATTRIBUTES.encode(), **files, "README.md": card}
    return write_repo(repo_id, files, hub_cache=hub_cache, message=f"Tiny LoRA adapter {repo_id}")
