"""The harness child process: ``python -m evaluation.harness SPEC.json``.

Runs lm-evaluation-harness on one model and writes what the ``lm_eval`` CLI writes
(``<output_dir>/<model>/results_<date>.json`` and ``samples_<task>_<date>.jsonl``),
so the platform ingests its own runs and imported CLI runs the same way.

It never imports Django and never touches the database: the worker that spawned it
owns the run. It is spawned, not forked, so CUDA is first touched here.
The working directory is the suite's first task pack, because lm-eval resolves a
task's ``data_files`` against it.

It tells the worker, through two small JSON files:
- ``progress_path``: the stage, and requests answered out of the run's total. lm-eval hands the
  model all requests of a type at once, and they are added to the total then (a suite with
  several few-shot settings or request types adds to it as each starts); answers are counted
  through lm-eval's cache hook, which every model backend calls once per answered request.
- ``error_path``: on failure, what kind of failure (the model did not load, out of memory,
  dataset unavailable, harness error) and the exception.
It dies with its worker: if the worker process goes away it kills its own process group.

SPEC keys: model_args (str), backend ("hf" or "vllm"), quantization (null, "8bit" or "4bit":
bitsandbytes), tasks ([{task, num_fewshot}]), task_paths ([abs path]), device, batch_size,
apply_chat_template (bool), system_instruction (str, with the chat template), output_dir, progress_path,
error_path, parent_pid. Generations get a ``generation`` record each (evaluation.generations) and the results
file the run's ``generation_tokens``.
"""

import json
import os
import signal
import sys
import threading
import time
import traceback
from itertools import groupby
from pathlib import Path
from typing import Any

from evaluation.generations import Generations

# Merged across fewshot groups: a suite may mix 0-shot and 5-shot tasks, but
# simple_evaluate takes one num_fewshot per call.
PER_TASK_KEYS = ("results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples")
LOADING_MODEL, RUNNING, WRITING = "loading the model", "running requests", "writing results"
PROGRESS_EVERY_S = 1.0
CPU_AUTO_BATCH_SIZE = 64  # lm-eval's default max_batch_size


def _write_json(path: str, data: dict) -> None:
    """Atomically: the worker never reads half a file."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(json.dumps(data))
    os.replace(tmp, path)


class Progress:
    """The stage and the requests answered; also the cache hook lm-eval's models report answers to."""

    def __init__(self, path: str):
        self.path, self.stage, self.done, self.total = path, "starting", 0, 0
        self.requests_started: float | None = None
        self._written = 0.0

    def set_stage(self, stage: str) -> None:
        self.stage = stage
        print(f"stage: {stage}", flush=True)
        self.write()

    def add_total(self, requests: int) -> None:
        self.total += requests
        self.requests_started = self.requests_started or time.time()
        self.write()

    def add_partial(self, attr, req, res) -> None:  # lm_eval.api.model.CacheHook's interface
        self.done += 1
        if time.monotonic() - self._written >= PROGRESS_EVERY_S:
            self.write()

    def write(self) -> None:
        self._written = time.monotonic()
        _write_json(
            self.path,
            {"stage": self.stage, "done": self.done, "total": self.total, "requests_started": self.requests_started},
        )


def _watch_parent(parent_pid: int) -> None:
    """Kill this process group when the worker that spawned it is gone (killed, host lost)."""

    def watch():
        while os.getppid() == parent_pid:
            time.sleep(1)
        os.killpg(os.getpgid(0), signal.SIGKILL)

    threading.Thread(target=watch, daemon=True).start()


def _resolve_device(device: str) -> str:
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _resolve_batch_size(batch_size, device: str):
    """lm-eval's "auto" probes how large a batch fits in GPU memory, with full-length inputs. A CPU has
    no such limit to find, and the probe costs seconds (or the host's RAM, for a large model): there
    "auto" takes the cap lm-eval's own probe starts from."""
    return CPU_AUTO_BATCH_SIZE if batch_size == "auto" and device == "cpu" else batch_size


def _task_manager(task_paths: list[str], task_names: list[str]):
    """Index only the local packs when they hold every task: indexing lm-eval's own takes seconds."""
    from lm_eval.tasks import TaskManager

    if task_paths:
        local = TaskManager(include_path=task_paths, include_defaults=False)
        if set(task_names) <= set(local.all_tasks):
            return local
    return TaskManager(include_path=task_paths or None)


def _load_model(spec: dict, device: str):
    from lm_eval.api.registry import get_model

    if not spec.get("quantization"):
        return get_model(spec["backend"]).create_from_arg_string(
            spec["model_args"], {"batch_size": spec["batch_size"], "device": device}
        )
    # bitsandbytes: transformers >= 5 takes it only as a quantization_config object, which
    # lm-eval's model_args string cannot carry; HFLM passes one through _create_model.
    import torch
    from lm_eval.models.huggingface import HFLM
    from transformers import BitsAndBytesConfig

    if spec["quantization"] == "8bit":
        quantization_config = BitsAndBytesConfig(load_in_8bit=True)
    else:
        quantization_config = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=torch.float16)

    class QuantizedHFLM(HFLM):
        def _create_model(self, *args, **kwargs):
            super()._create_model(*args, **{**kwargs, "quantization_config": quantization_config})

    return QuantizedHFLM.create_from_arg_string(
        spec["model_args"], {"batch_size": spec["batch_size"], "device": device}
    )


def _count_requests(lm, progress: Progress) -> None:
    """Add each request type's requests to the total as lm-eval hands them to the model: it sends all
    requests of a type in one call, so the total is known before the first of them is answered."""
    for name in ("loglikelihood", "loglikelihood_rolling", "generate_until"):

        def counted(requests, *args, _answer=getattr(lm, name), **kwargs):  # noqa: B008  binds this name's method now
            progress.add_total(len(requests))
            return _answer(requests, *args, **kwargs)

        setattr(lm, name, counted)


def _merge(total: dict | None, part: dict) -> dict:
    if total is None:
        return part
    for key in PER_TASK_KEYS:
        total.setdefault(key, {}).update(part.get(key, {}))
    total["task_hashes"] = {**total.get("task_hashes", {}), **part.get("task_hashes", {})}
    total["total_evaluation_time_seconds"] = str(
        float(total.get("total_evaluation_time_seconds", 0)) + float(part.get("total_evaluation_time_seconds", 0))
    )
    total["config"]["batch_sizes"] = total["config"].get("batch_sizes", []) + part["config"].get("batch_sizes", [])
    return total


def _failure_kind(exc: BaseException, stage: str) -> str:
    chain: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and seen not in chain:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    text = "\n".join(f"{type(e).__module__}.{type(e).__name__}: {e}" for e in chain)
    frames = [frame.filename for e in chain for frame in traceback.extract_tb(e.__traceback__)]
    if "OutOfMemoryError" in text or "out of memory" in text.lower():
        return "oom"
    if stage == LOADING_MODEL:
        return "model_load"
    if "datasets." in text or "HF_DATASETS_OFFLINE" in text or any(f"{os.sep}datasets{os.sep}" in f for f in frames):
        return "dataset"
    return "harness"


def run(spec: dict) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.loggers import EvaluationTracker

    progress = Progress(spec["progress_path"])
    try:
        device = _resolve_device(spec["device"])
        spec = {**spec, "batch_size": _resolve_batch_size(spec["batch_size"], device)}
        print(f"device: {device}, batch size: {spec['batch_size']}", flush=True)
        tasks = spec["tasks"]
        task_manager = _task_manager(spec["task_paths"], [t["task"] for t in tasks])
        tracker = EvaluationTracker(output_path=spec["output_dir"])
        progress.set_stage(LOADING_MODEL)
        lm = _load_model(spec, device)
        by_shots = [
            (shots, [t["task"] for t in group])
            for shots, group in groupby(sorted(tasks, key=lambda t: t["num_fewshot"]), key=lambda t: t["num_fewshot"])
        ]
        common = dict(
            model_args=spec["model_args"],
            batch_size=spec["batch_size"],
            device=device,
            apply_chat_template=spec["apply_chat_template"],
            fewshot_as_multiturn=spec["apply_chat_template"],  # as the CLI: on with a chat template
            system_instruction=spec.get("system_instruction") or None,
            task_manager=task_manager,
        )

        progress.set_stage(RUNNING)
        _count_requests(lm, progress)
        generations = Generations(progress)
        generations.install(lm)
        results: dict[str, Any] | None = None
        samples: dict[str, Any] = {}
        for shots, names in by_shots:
            part = simple_evaluate(
                model=lm, tasks=names, num_fewshot=shots, log_samples=True, evaluation_tracker=tracker, **common
            )
            samples.update(part.pop("samples"))
            results = _merge(results, part)

        assert results is not None  # the tasks make one group at least
        progress.set_stage(WRITING)
        if hasattr(lm, "tokenizer"):
            results["generation_tokens"] = generations.annotate(samples, lm.tokenizer)
        results["config"].update(
            model=spec["backend"], model_args=spec["model_args"], batch_size=spec["batch_size"], device=device
        )
        tracker.save_results_aggregated(results=results, samples=samples)
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
        print("harness finished", flush=True)
    except BaseException as exc:
        _write_json(
            spec["error_path"], {"kind": _failure_kind(exc, progress.stage), "message": f"{type(exc).__name__}: {exc}"}
        )
        raise


if __name__ == "__main__":
    spec = json.loads(Path(sys.argv[1]).read_text())
    _watch_parent(spec["parent_pid"])
    run(spec)
