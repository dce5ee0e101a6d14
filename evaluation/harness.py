"""The harness child process: ``python -m evaluation.harness SPEC.json``.

Runs lm-evaluation-harness on one model and writes what the ``lm_eval`` CLI writes
(``<output_dir>/<model>/results_<date>.json`` and ``samples_<task>_<date>.jsonl``),
so the platform ingests its own runs and imported CLI runs the same way.

It never imports Django and never touches the database: the worker that spawned it
owns the run. It is spawned, not forked, so CUDA is first touched here.
The working directory is the suite's first task pack, because lm-eval resolves a
task's ``data_files`` against it.

It tells the worker, through two small JSON files:
- ``progress_path``: the stage, and requests answered out of the run's total. The total is
  counted before the first request by a dry run of lm-eval (same tasks, same prompts, the
  model's answers replaced by placeholders); answers are counted through lm-eval's cache
  hook, which every model backend calls once per answered request.
- ``error_path``: on failure, what kind of failure (the model did not load, out of memory,
  dataset unavailable, harness error) and the exception.
It dies with its worker: if the worker process goes away it kills its own process group.

SPEC keys: model_args (str), backend ("hf" or "vllm"), quantization (null, "8bit" or "4bit":
bitsandbytes), tasks ([{task, num_fewshot}]), task_paths ([abs path]), device, batch_size,
apply_chat_template (bool), output_dir, progress_path, error_path, parent_pid.
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

# Merged across fewshot groups: a suite may mix 0-shot and 5-shot tasks, but
# simple_evaluate takes one num_fewshot per call.
PER_TASK_KEYS = ("results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples")
LOADING_MODEL, COUNTING, RUNNING, WRITING = "loading the model", "counting requests", "running requests", "writing results"
PROGRESS_EVERY_S = 1.0


def _write_json(path: str, data: dict) -> None:
    """Atomically: the worker never reads half a file."""
    tmp = f"{path}.tmp"
    Path(tmp).write_text(json.dumps(data))
    os.replace(tmp, path)


class Progress:
    """The stage and the requests answered; also the cache hook lm-eval's models report answers to."""

    def __init__(self, path: str):
        self.path, self.stage, self.done, self.total = path, "starting", 0, 0
        self.requests_started, self._written = None, 0.0

    def set_stage(self, stage: str, *, total: int | None = None) -> None:
        self.stage = stage
        print(f"stage: {stage}", flush=True)
        if total is not None:
            self.total, self.requests_started = total, time.time()
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

    return QuantizedHFLM.create_from_arg_string(spec["model_args"], {"batch_size": spec["batch_size"], "device": device})


def _counting_lm(lm):
    """An LM that answers every request with a placeholder and counts them, for the dry run."""
    from lm_eval.api.model import LM

    class CountingLM(LM):
        def __init__(self):
            super().__init__()
            self.count = 0

        def _answer(self, requests, placeholder):
            self.count += len(requests)
            return [placeholder] * len(requests)

        def loglikelihood(self, requests):
            return self._answer(requests, (0.0, False))

        def loglikelihood_rolling(self, requests):
            return self._answer(requests, 0.0)

        def generate_until(self, requests):
            return self._answer(requests, "")

        # What lm-eval asks of the model while it builds the prompts.
        @property
        def tokenizer_name(self):
            return lm.tokenizer_name

        def chat_template(self, chat_template=False):
            return lm.chat_template(chat_template)

        def apply_chat_template(self, chat_history, add_generation_prompt=True):
            return lm.apply_chat_template(chat_history, add_generation_prompt)

    return CountingLM()


def _count_requests(lm, by_shots: list, common: dict) -> int:
    """The requests the run will send, by a dry run; 0 (unknown) if the dry run fails: counting must
    never fail an evaluation (a real problem, such as a missing dataset, fails the real run)."""
    import lm_eval.evaluator
    from lm_eval import simple_evaluate

    counter = _counting_lm(lm)
    # The dry run's results are thrown away: skip collecting the environment (pip list, ...), its slowest part.
    add_env_info, lm_eval.evaluator.add_env_info = lm_eval.evaluator.add_env_info, lambda storage: None
    try:
        for shots, names in by_shots:
            simple_evaluate(model=counter, tasks=names, num_fewshot=shots, bootstrap_iters=0, log_samples=False, **common)
    except Exception as exc:
        print(f"could not count the requests beforehand: {exc!r}", flush=True)
        return 0
    finally:
        lm_eval.evaluator.add_env_info = add_env_info
    return counter.count


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
    chain, seen = [], exc
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
        print(f"device: {device}", flush=True)
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
            task_manager=task_manager,
        )

        progress.set_stage(COUNTING)
        progress.set_stage(RUNNING, total=_count_requests(lm, by_shots, common))
        lm.set_cache_hook(progress)
        results, samples = None, {}
        for shots, names in by_shots:
            part = simple_evaluate(
                model=lm, tasks=names, num_fewshot=shots, log_samples=True, evaluation_tracker=tracker, **common
            )
            samples.update(part.pop("samples"))
            results = _merge(results, part)

        progress.set_stage(WRITING)
        results["config"].update(
            model=spec["backend"], model_args=spec["model_args"], batch_size=spec["batch_size"], device=device
        )
        tracker.save_results_aggregated(results=results, samples=samples)
        for task_name in results["configs"]:
            tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
        print("harness finished", flush=True)
    except BaseException as exc:
        _write_json(spec["error_path"], {"kind": _failure_kind(exc, progress.stage), "message": f"{type(exc).__name__}: {exc}"})
        raise


if __name__ == "__main__":
    spec = json.loads(Path(sys.argv[1]).read_text())
    _watch_parent(spec["parent_pid"])
    run(spec)
