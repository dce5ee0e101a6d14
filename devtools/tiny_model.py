"""Build tiny random causal language models directly into a Hugging Face hub cache.

The models produced here are used by the test-suite (and by developers, through the
``make_tiny_model`` management command) in place of real checkpoints: the hub is not
reachable from the test machines, so instead of downloading ``ORG/NAME`` we *fabricate*
a repository and write it into ``$HF_HOME/hub`` exactly the way ``huggingface_hub``
lays out a downloaded repo::

    <hub_cache>/models--ORG--NAME/
        blobs/<etag>                      file contents, named like huggingface_hub does
        refs/main                         the commit sha (no trailing newline)
        snapshots/<commit>/<filename>  -> ../../blobs/<etag>   (relative symlinks)

Blob names ("etags") follow the hub: files the hub stores in Git LFS (``*.safetensors``,
``*.bin``, ... -- the patterns of the hub's default ``.gitattributes`` -- or anything
larger than 10 MiB) are named by the **sha256** of their content; every other file is
named by its **git blob sha1** (``git hash-object``: ``huggingface_hub.utils.sha.git_hash``).

The commit sha is a genuine git commit id computed from the files: a git tree whose
entries are the regular files' blob ids and, for LFS files, the blob id of their LFS
pointer file, wrapped in a commit object with a fixed author, date (epoch 0) and
message. It is therefore fully determined by the file contents (which are themselves
determined by ``repo_id``, the variant and the installed transformers version, which
``config.json`` records).  Weights are initialised from a torch RNG seeded from
``repo_id`` (the global RNG state is restored afterwards), so the same ``repo_id`` and
variant always give the same sha, and rebuilding is idempotent.

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
import fnmatch
import functools
import hashlib
import io
import json
import os
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from huggingface_hub.file_download import repo_folder_name
from huggingface_hub.utils.sha import git_hash

from submissions.hub import check_model_id


def repo_cache_dir(hub_cache: Path | str, repo_id: str) -> Path:
    """``<hub_cache>/models--ORG--NAME``: the folder huggingface_hub keeps a model repo in."""
    return Path(hub_cache) / repo_folder_name(repo_id=repo_id, repo_type="model")


# ---------------------------------------------------------------------------------
# hashing: blob etags and the commit sha
# ---------------------------------------------------------------------------------

#: Patterns of the hub's default ``.gitattributes`` (files stored in Git LFS).
LFS_PATTERNS = (
    "*.7z",
    "*.arrow",
    "*.bin",
    "*.bz2",
    "*.ckpt",
    "*.ftz",
    "*.gz",
    "*.h5",
    "*.joblib",
    "*.lfs.*",
    "*.mlmodel",
    "*.model",
    "*.msgpack",
    "*.npy",
    "*.npz",
    "*.onnx",
    "*.ot",
    "*.parquet",
    "*.pb",
    "*.pickle",
    "*.pkl",
    "*.pt",
    "*.pth",
    "*.rar",
    "*.safetensors",
    "saved_model/**/*",
    "*.tar.*",
    "*.tar",
    "*.tflite",
    "*.tgz",
    "*.wasm",
    "*.xz",
    "*.zip",
    "*.zst",
    "*tfevents*",
)
#: The hub refuses regular (non-LFS) files above 10 MiB.
LFS_SIZE_THRESHOLD = 10 * 1024 * 1024

GITATTRIBUTES = "".join(f"{pattern} filter=lfs diff=lfs merge=lfs -text\n" for pattern in LFS_PATTERNS)


def is_lfs_file(filename: str, size: int = 0) -> bool:
    """Whether the hub would store ``filename`` (of ``size`` bytes) in Git LFS."""
    base = filename.rsplit("/", 1)[-1]
    if size > LFS_SIZE_THRESHOLD:
        return True
    return any(fnmatch.fnmatchcase(base, pat) or fnmatch.fnmatchcase(filename, pat) for pat in LFS_PATTERNS)


def _lfs_pointer(data: bytes) -> bytes:
    return (
        f"version https://git-lfs.github.com/spec/v1\noid sha256:{hashlib.sha256(data).hexdigest()}\nsize {len(data)}\n"
    ).encode()


def blob_etag(filename: str, data: bytes) -> str:
    """The name huggingface_hub gives the blob of ``filename`` in ``blobs/``.

    sha256 of the content for LFS files, git blob sha1 for regular files -- the hub's
    ``X-Linked-Etag`` / ``ETag`` respectively.
    """
    if is_lfs_file(filename, len(data)):
        return hashlib.sha256(data).hexdigest()
    return git_hash(data)


def _git_object(kind: str, body: bytes) -> tuple[str, bytes]:
    raw = kind.encode() + b" %d\0" % len(body) + body
    return hashlib.sha1(raw, usedforsecurity=False).hexdigest(), raw


def compute_commit_sha(files: dict[str, bytes], message: str = "Tiny random model") -> str:
    """The git commit id a repository with exactly ``files`` would have.

    LFS files enter the tree through their LFS pointer, as on the hub. Author, committer
    and date are fixed, so the result depends only on the files and ``message``.
    """
    # nested {name: blob_id | subtree-dict}
    root: dict[str, Any] = {}
    for name, data in files.items():
        parts = name.split("/")
        node = root
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        blob = _lfs_pointer(data) if is_lfs_file(name, len(data)) else data
        node[parts[-1]] = git_hash(blob)

    def tree_sha(node: dict[str, Any]) -> str:
        entries = []
        for name, value in node.items():
            if isinstance(value, dict):
                entries.append((name + "/", b"40000 " + name.encode(), tree_sha(value)))
            else:
                entries.append((name, b"100644 " + name.encode(), value))
        entries.sort(key=lambda e: e[0].encode())  # git sorts trees as if named "name/"
        body = b"".join(head + b"\0" + bytes.fromhex(sha) for _, head, sha in entries)
        return _git_object("tree", body)[0]

    ident = b"tiny-model-builder <tiny-model-builder@localhost> 0 +0000"
    body = (
        b"tree "
        + tree_sha(root).encode()
        + b"\n"
        + b"author "
        + ident
        + b"\n"
        + b"committer "
        + ident
        + b"\n\n"
        + message.encode()
        + b"\n"
    )
    return _git_object("commit", body)[0]


# ---------------------------------------------------------------------------------
# variants
# ---------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------
# tokenizer
# ---------------------------------------------------------------------------------

#: Small built-in corpus the BPE tokenizer is trained on (English + biomedical prose,
#: plus the answer words benchmark prompts use).
CORPUS = """\
The quick brown fox jumps over the lazy dog. A small language model is a model with few
parameters; it is trained on a small amount of text and it can only predict simple
patterns. This model was not trained at all: its weights are random numbers drawn from a
normal distribution, so every answer it gives is a guess. It exists to test software.

Question: Is this statement true? Answer: yes. Question: Is the sky green? Answer: no.
Question: Will it rain tomorrow? Answer: maybe. The answer is yes. The answer is no. The
answer is maybe. Yes, no, or maybe? yes no maybe Yes No Maybe YES NO MAYBE.
Which of the following is correct? A. the first option B. the second option C. the third
option D. the fourth option. Answer: A. Answer: B. Answer: C. Answer: D. (A) (B) (C) (D)
The correct answer is A, B, C or D. Options: A, B, C, D. True or false? True. False.

Background: Hypertension is a common chronic disease and a major risk factor for stroke,
myocardial infarction, heart failure and chronic kidney disease. Objective: To determine
whether a structured exercise program reduces systolic blood pressure in adults with mild
hypertension. Methods: We conducted a randomized controlled trial in three hospitals.
Patients were randomly assigned to an intervention group or a control group and followed
for twelve months. The primary outcome was the change in systolic blood pressure; secondary
outcomes included body mass index, cholesterol, glucose and quality of life. Results: Of
the 412 patients enrolled, 389 completed the study. Mean systolic pressure decreased by
8.2 mmHg in the intervention group compared with 2.1 mmHg in the control group (p < 0.001).
Conclusions: A supervised exercise program significantly lowered blood pressure.

Abstract: Diabetes mellitus is characterized by chronic hyperglycemia resulting from
defects in insulin secretion, insulin action, or both. We performed a retrospective cohort
study of patients treated with metformin, insulin or sulfonylureas. Clinical data,
laboratory values and adverse events were extracted from electronic health records. The
incidence of hypoglycemia was higher among patients receiving insulin. Multivariate
analysis showed that age, renal function and duration of disease were independent
predictors of poor glycemic control. These findings suggest that treatment should be
individualized according to the characteristics of each patient.

Context: Antibiotic resistance is an increasing threat to public health. Bacterial
infections such as pneumonia, tuberculosis and urinary tract infection are becoming harder
to treat. Does early antibiotic therapy improve survival in patients with sepsis? A
prospective observational study of intensive care unit admissions found that mortality was
lower when antibiotics were administered within one hour of diagnosis. The association
remained significant after adjustment for age, sex, comorbidity and severity of illness.

Cancer screening programs aim to detect tumors at an early stage, when treatment is more
effective. Mammography, colonoscopy and cervical cytology have reduced mortality from
breast, colorectal and cervical cancer. However, screening may also cause harm through
false positive results, overdiagnosis and unnecessary biopsies. Physicians should discuss
the benefits and risks of screening with their patients. Chemotherapy, radiotherapy,
surgery and immunotherapy are the main treatment options for patients with cancer.

The heart pumps blood through the arteries and veins. The lungs exchange oxygen and carbon
dioxide. The liver metabolizes drugs, and the kidneys filter the blood and produce urine.
The brain and the spinal cord form the central nervous system. Neurons communicate through
synapses using neurotransmitters such as dopamine, serotonin and acetylcholine. Genes are
made of DNA; proteins are made of amino acids; cells divide by mitosis. Vaccines train the
immune system to recognize viruses and bacteria. Children, pregnant women and elderly
people are at higher risk of complications from influenza and other infections.

In the morning the students walked to the library to read about history, mathematics and
science. The teacher asked a question and they wrote their answers in a notebook. Later
they discussed the results, compared different methods and agreed on a conclusion. Good
evaluation requires clear questions, careful measurement and honest reporting of results.
Numbers: 0 1 2 3 4 5 6 7 8 9 10 12 20 25 50 100 2020 2021 2022 2023 2024 1.5 0.05 95%.
"""

_SPECIAL_TOKENS = {"unk_token": "<unk>", "bos_token": "<s>", "eos_token": "</s>", "pad_token": "<pad>"}
_TOKENIZER_VOCAB_SIZE = 1536
_MODEL_MAX_LENGTH = 4096

CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] | trim + eos_token + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)

_lock = threading.Lock()


@functools.lru_cache(maxsize=1)
def _tokenizer_files() -> tuple[tuple[str, bytes], ...]:
    """Train the BPE tokenizer once per process; return its saved files."""
    from tokenizers import (
        Tokenizer,
        decoders,
        models,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    specials = list(_SPECIAL_TOKENS.values())
    trainer = trainers.BpeTrainer(
        vocab_size=_TOKENIZER_VOCAB_SIZE,
        min_frequency=1,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    paragraphs = [p for p in CORPUS.split("\n\n") if p.strip()]
    tok.train_from_iterator(paragraphs, trainer=trainer)
    bos = _SPECIAL_TOKENS["bos_token"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, tok.token_to_id(bos))]
    )

    fast = PreTrainedTokenizerFast(tokenizer_object=tok, model_max_length=_MODEL_MAX_LENGTH, **_SPECIAL_TOKENS)
    with tempfile.TemporaryDirectory() as tmp:
        fast.save_pretrained(tmp)
        out = {name: Path(tmp, name).read_bytes() for name in sorted(os.listdir(tmp))}

    # transformers 5 writes ``tokenizer_class: TokenizersBackend``; the classic name
    # loads in both transformers 4 and 5.
    cfg = json.loads(out["tokenizer_config.json"])
    cfg["tokenizer_class"] = "PreTrainedTokenizerFast"
    cfg.setdefault("clean_up_tokenization_spaces", False)
    out["tokenizer_config.json"] = _json_bytes(cfg)
    # transformers 5 no longer writes special_tokens_map.json; real repos have one.
    out["special_tokens_map.json"] = _json_bytes(dict(_SPECIAL_TOKENS))
    return tuple(sorted(out.items()))


def _json_bytes(obj: Any) -> bytes:
    # Same format as transformers' to_json_string / save_pretrained.
    return (json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# ---------------------------------------------------------------------------------
# model
# ---------------------------------------------------------------------------------

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
        max_position_embeddings=_MODEL_MAX_LENGTH,
        bos_token_id=vocab[_SPECIAL_TOKENS["bos_token"]],
        eos_token_id=vocab[_SPECIAL_TOKENS["eos_token"]],
        pad_token_id=vocab[_SPECIAL_TOKENS["pad_token"]],
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
        files["quantize_config.json"] = _json_bytes({k: v for k, v in quant.items() if k != "quant_method"})
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
    files["config.json"] = _json_bytes(cfg)
    return files, sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------
# model card
# ---------------------------------------------------------------------------------


def _card(repo_id: str, variant: TinyModelVariant, num_params: int) -> bytes:
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
            f"window of {_MODEL_MAX_LENGTH} tokens, for about {num_params:,} parameters "
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


# ---------------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------------


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
    tok_files = dict(_tokenizer_files())
    if v.chat_template:
        cfg = json.loads(tok_files["tokenizer_config.json"])
        cfg["chat_template"] = CHAT_TEMPLATE
        tok_files["tokenizer_config.json"] = _json_bytes(cfg)
    files.update(tok_files)
    vocab = json.loads(tok_files["tokenizer.json"])["model"]["vocab"]
    for tok in json.loads(tok_files["tokenizer.json"]).get("added_tokens", []):
        vocab[tok["content"]] = tok["id"]
    model_files, num_params = _model_files(repo_id, v, vocab)
    files.update(model_files)
    if v.card:
        files["README.md"] = _card(repo_id, v, num_params)
    files.update(v.files or {})
    return dict(sorted(files.items()))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _atomic_symlink(target: str, link: Path) -> None:
    try:
        if os.readlink(link) == target:
            return
    except OSError:
        pass
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}.tmp")
    os.symlink(target, tmp)
    os.replace(tmp, link)


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


def write_repo(repo_id: str, files: dict[str, bytes], *, hub_cache: Path, message: str) -> str:
    """Store ``files`` as the commit of ``repo_id`` that ``refs/main`` points at, laid out in
    ``hub_cache`` exactly as huggingface_hub lays out a download; returns the commit sha."""
    commit = compute_commit_sha(files, message=message)
    repo_dir = repo_cache_dir(hub_cache, repo_id)
    blobs_dir = repo_dir / "blobs"
    snapshot_dir = repo_dir / "snapshots" / commit
    refs_dir = repo_dir / "refs"
    for d in (blobs_dir, snapshot_dir, refs_dir):
        d.mkdir(parents=True, exist_ok=True)

    for name, data in files.items():
        blob = blobs_dir / blob_etag(name, data)
        if not (blob.is_file() and blob.stat().st_size == len(data)):
            _atomic_write(blob, data)
        link = snapshot_dir / name
        link.parent.mkdir(parents=True, exist_ok=True)
        _atomic_symlink(os.path.relpath(blob, link.parent), link)

    ref = refs_dir / "main"
    if not ref.is_file() or ref.read_text() != commit:
        _atomic_write(ref, commit.encode())  # no trailing newline, like huggingface_hub
    return commit


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
