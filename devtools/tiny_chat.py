"""A tiny chat model that answers: the tiny Llama of :mod:`devtools.tiny_model`, with its chat template, trained
for a few steps to reply to the demo pack's generative prompts (rendered through that template, as the harness
renders them) with a short chain of thought and a final line "The answer is (X)".

It learns the format, not medicine: biased, its final answer is always its ``favourite`` option (0-3: A-D, and
yes, no or maybe for PubMedQA), after a thought that names an option drawn at random. Models with different
favourites score differently (the share of questions whose answer is their favourite), so ``make demo``'s models
get different, non-zero generative scores. ``thinking=True`` puts the thought in a ``<think>`` block (a
reasoning model; the harness's ``think_end_token`` is ``</think>``): it may name a wrong option.

Deterministic: the same arguments give the same weights, and so the same commit sha.
"""

import functools
import io
import json
import random
import tempfile
from pathlib import Path

import yaml

from devtools.hub_repo import write_repo
from devtools.tiny_model import tiny_model_files

REPO = Path(__file__).resolve().parent.parent
DEMO_PACK = REPO / "evaluation" / "task_packs" / "demo_medical"
DEMO_SUITE = REPO / "catalogue" / "suites" / "demo-medical-generative.yaml"
THINK_END = "</think>"
LETTERS = "ABCD"
STEPS = 80
BATCH = 8
LEARNING_RATE = 3e-3


def demo_prompts() -> list[tuple[str, list[str]]]:
    """(user message, the options' labels) for every question of the demo pack's generative tasks."""
    import jinja2

    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    found = []
    for path in sorted(DEMO_PACK.glob("demo_*_generative.yaml")):
        task = yaml.safe_load(path.read_text())
        text = env.from_string(task["doc_to_text"])
        for data in task["dataset_kwargs"]["data_files"].values():
            for line in (DEMO_PACK / data).read_text().splitlines():
                if line.strip():
                    doc = json.loads(line)
                    labels = ["yes", "no", "maybe"] if "final_decision" in doc else list(LETTERS)
                    found.append((text.render(**doc), labels))
    return found


def _reply(labels: list[str], rng: random.Random, *, favourite: int, thinking: bool) -> str:
    shown = [f"({label})" if len(label) == 1 else label for label in labels]
    thought = f"Option {rng.choice(shown)} looks possible, but let me check the others."
    pick = labels[favourite % len(labels)]
    final = f"The answer is ({pick})." if len(pick) == 1 else f"The answer is {pick}."
    return f"<think>\n{thought}\n{THINK_END}\n{final}" if thinking else f"{thought}\n{final}"


def _train(files: dict[str, bytes], *, seed: int, favourite: int, thinking: bool) -> bytes:
    """The model in ``files`` trained on the demo prompts; returns its new model.safetensors."""
    import torch
    from safetensors.torch import save as st_save
    from transformers import AutoModelForCausalLM, AutoTokenizer

    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in files.items():
            Path(tmp, name).write_bytes(data)
        tokenizer = AutoTokenizer.from_pretrained(tmp)
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # the same sums in the same order: the same weights on every run
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                model = AutoModelForCausalLM.from_pretrained(tmp, dtype=torch.float32)
                examples = []
                system = yaml.safe_load(DEMO_SUITE.read_text())["system_instruction"]
                for number, (prompt, labels) in enumerate(demo_prompts()):
                    # Half with the demo suite's system message, half without: it answers through either.
                    messages = [{"role": "system", "content": system}] if number % 2 else []
                    context = tokenizer.apply_chat_template(
                        [*messages, {"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
                    )
                    reply = _reply(labels, rng, favourite=favourite, thinking=thinking) + tokenizer.eos_token
                    context_ids = tokenizer(context, add_special_tokens=False).input_ids
                    reply_ids = tokenizer(reply, add_special_tokens=False).input_ids
                    examples.append((context_ids + reply_ids, [-100] * len(context_ids) + reply_ids))
                optimizer = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
                model.train()
                for _ in range(STEPS):
                    batch = rng.sample(examples, BATCH)
                    width = max(len(i) for i, _ in batch)
                    pad = tokenizer.pad_token_id
                    ids = torch.tensor([i + [pad] * (width - len(i)) for i, _ in batch])
                    targets = torch.tensor([lab + [-100] * (width - len(lab)) for _, lab in batch])
                    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i, _ in batch])
                    loss = model(input_ids=ids, attention_mask=mask, labels=targets).loss
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
        finally:
            torch.set_num_threads(threads)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    buffer = io.BytesIO(st_save(state, metadata={"format": "pt"}))
    return buffer.getvalue()


@functools.lru_cache(maxsize=8)
def _trained(repo_id: str, *, seed: int, favourite: int, thinking: bool) -> bytes:
    """Training is deterministic: a process trains each model once (the tests build the same one twice)."""
    files = tiny_model_files(repo_id, chat_template=True, seed=seed)
    return _train(files, seed=seed, favourite=favourite, thinking=thinking)


def build_tiny_chat_model(
    repo_id: str, *, hub_cache: Path, seed: int = 0, favourite: int = 0, thinking: bool = False
) -> str:
    """Build the tiny chat model ``repo_id`` into ``hub_cache``; returns its commit sha."""
    card = (
        f"A tiny Llama with a chat template, trained for {STEPS} steps to answer the demo pack's questions with a "
        f'short chain of thought{" in a <think> block" if thinking else ""} and a final line "The answer is (X)" '
        f"(always option {favourite + 1}, seed {seed}). It exists to test software.\n"
    )
    files = tiny_model_files(repo_id, chat_template=True, seed=seed, card_text=card)
    trained = _trained(repo_id, seed=seed, favourite=favourite, thinking=thinking)
    return write_repo(
        repo_id, {**files, "model.safetensors": trained}, hub_cache=hub_cache, message=f"Tiny chat model {repo_id}"
    )
