"""The reproducibility record of a run, and the ``lm_eval`` command line that reproduces it."""

import re
import shlex
from itertools import groupby
from pathlib import Path

from django.conf import settings

from evaluation.cost import run_cost
from evaluation.models import EvalRun

# lm-eval's CLI cannot load bitsandbytes weights with transformers >= 5 (it takes them only as a
# quantization_config object); the record says how the harness did it instead.
QUANTIZED_NOTE = (
    "lm_eval's CLI cannot pass a bitsandbytes quantization_config; the worker ran this command's tasks through "
    "lm_eval's HFLM with transformers.BitsAndBytesConfig({}) (see evaluation/harness.py)."
)


def _torch_version(pretty_env_info: str) -> str:
    for line in (pretty_env_info or "").splitlines():
        if line.startswith("PyTorch version:"):
            return line.split(":", 1)[1].strip()
    return ""


def _double_quoted(text: str) -> str:
    """``text`` safe inside a shell's double quotes."""
    return re.sub(r'([$`"\\])', r"\\\1", text)


def reproduce_commands(spec: dict, batch_size, device: str) -> list[str]:
    """One ``lm_eval`` call per few-shot setting, run from the suite's first task pack.

    The one place an ``lm_eval`` command line is built, from a record's structured fields: every value is
    shell-quoted, whoever wrote it (an imported results file names the backend, device and batch size)."""
    paths = [Path(p) for p in spec["task_paths"]]
    prefix = ""
    include = ""
    if paths:
        pack = paths[0].relative_to(settings.BASE_DIR) if paths[0].is_relative_to(settings.BASE_DIR) else paths[0]
        prefix = f"cd {shlex.quote(str(pack))} && "
        include = " --include_path " + shlex.quote(",".join("." if p == paths[0] else str(p) for p in paths))
    chat = " --apply_chat_template --fewshot_as_multiturn true" if spec["apply_chat_template"] else ""
    if spec["apply_chat_template"] and spec.get("system_instruction"):
        chat += f" --system_instruction {shlex.quote(spec['system_instruction'])}"
    args = shlex.quote(spec["model_args"])
    weights = spec.get("weights")
    if weights:  # the worker's local snapshot of the adapter or delta: anyone else downloads it
        model_id, revision = shlex.quote(weights["model_id"]), shlex.quote(weights["revision"])
        download = f"$(hf download {model_id} --revision {revision} --quiet)"
        args = '"' + download.join(_double_quoted(part) for part in spec["model_args"].split(weights["path"])) + '"'
    commands = []
    by_shots = sorted(spec["tasks"], key=lambda t: t["num_fewshot"])
    for shots, group in groupby(by_shots, key=lambda t: t["num_fewshot"]):
        tasks, backend = ",".join(t["task"] for t in group), spec["backend"]
        commands.append(
            f"{prefix}lm_eval --model {shlex.quote(str(backend))} --model_args {args} --tasks {shlex.quote(tasks)}"
            f" --num_fewshot {shlex.quote(str(shots))} --batch_size {shlex.quote(str(batch_size))}"
            f" --device {shlex.quote(str(device))}{include}{chat} --log_samples --output_path results"
        )
    return commands


def record_build(submission, spec: dict, results: dict, duration_s: float, *, run: EvalRun | None = None) -> dict:
    """What reproduces a run of ``submission``; ``run`` is None for results imported from the CLI."""
    config = results.get("config", {})
    batch_sizes = config.get("batch_sizes") or []
    # "auto" resolves per call; the record keeps the size the harness settled on.
    batch_size = batch_sizes[0] if batch_sizes else config.get("batch_size", spec["batch_size"])
    device = config.get("device", spec["device"])
    record = {
        "model": submission.model_id,
        "commit_sha": submission.commit_sha,
        "model_args": spec["model_args"],
        "backend": spec["backend"],
        "quantization": spec.get("quantization"),
        "lm_eval_version": results.get("lm_eval_version", ""),
        "transformers_version": results.get("transformers_version", ""),
        "torch_version": _torch_version(results.get("pretty_env_info", "")),
        "tasks": {
            name: {
                "version": results.get("versions", {}).get(name),
                "config_hash": results.get("task_hashes", {}).get(name),
                "num_fewshot": results.get("n-shot", {}).get(name),
            }
            for name in results.get("configs", {})
        },
        "batch_size": batch_size,
        "batch_sizes": batch_sizes,
        "batch_size_requested": spec["batch_size"],
        "device": device,
        "seeds": {key: config.get(key) for key in ("random_seed", "numpy_seed", "torch_seed", "fewshot_seed")},
        "apply_chat_template": spec["apply_chat_template"],
        "fewshot_as_multiturn": spec["apply_chat_template"],
        "system_instruction": spec.get("system_instruction") or "",
        "commands": reproduce_commands(spec, batch_size, device),
        **run_cost(results.get("generation_tokens"), duration_s, device, run.cluster if run else ""),
    }
    if run is not None:
        record.update(
            worker=run.worker,
            cluster=run.cluster,
            attempt=run.attempt,
        )
    if spec.get("quantization"):
        record["note"] = QUANTIZED_NOTE.format(
            "load_in_8bit=True"
            if spec["quantization"] == "8bit"
            else "load_in_4bit=True, bnb_4bit_compute_dtype=float16"
        )
    return record
