"""The harness child process: ``python -m evaluation.harness SPEC.json``.

Runs lm-evaluation-harness on one model and writes what the ``lm_eval`` CLI writes
(``<output_dir>/<model>/results_<date>.json`` and ``samples_<task>_<date>.jsonl``),
so the platform ingests its own runs and imported CLI runs the same way.

It never imports Django and never touches the database: the worker that spawned it
owns the run. It is spawned, not forked, so CUDA is first touched here.
The working directory is the suite's first task pack, because lm-eval resolves a
task's ``data_files`` against it.

SPEC keys: model_args (str), tasks ([{task, num_fewshot}]), task_paths ([abs path]),
device, batch_size, apply_chat_template (bool), output_dir.
"""

import json
import sys
from itertools import groupby
from pathlib import Path

# Merged across fewshot groups: a suite may mix 0-shot and 5-shot tasks, but
# simple_evaluate takes one num_fewshot per call.
PER_TASK_KEYS = ("results", "group_subtasks", "configs", "versions", "n-shot", "higher_is_better", "n-samples")


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


def run(spec: dict) -> None:
    from lm_eval import simple_evaluate
    from lm_eval.api.registry import get_model
    from lm_eval.loggers import EvaluationTracker

    device = _resolve_device(spec["device"])
    print(f"device: {device}", flush=True)
    tasks = spec["tasks"]
    task_manager = _task_manager(spec["task_paths"], [t["task"] for t in tasks])
    tracker = EvaluationTracker(output_path=spec["output_dir"])
    lm = get_model("hf").create_from_arg_string(
        spec["model_args"], {"batch_size": spec["batch_size"], "device": device}
    )

    results, samples = None, {}
    by_shots = sorted(tasks, key=lambda t: t["num_fewshot"])
    for shots, group in groupby(by_shots, key=lambda t: t["num_fewshot"]):
        part = simple_evaluate(
            model=lm,
            model_args=spec["model_args"],
            tasks=[t["task"] for t in group],
            num_fewshot=shots,
            batch_size=spec["batch_size"],
            device=device,
            log_samples=True,
            apply_chat_template=spec["apply_chat_template"],
            evaluation_tracker=tracker,
            task_manager=task_manager,
        )
        samples.update(part.pop("samples"))
        results = _merge(results, part)

    results["config"].update(model="hf", model_args=spec["model_args"], batch_size=spec["batch_size"], device=device)
    tracker.save_results_aggregated(results=results, samples=samples)
    for task_name in results["configs"]:
        tracker.save_results_samples(task_name=task_name, samples=samples[task_name])
    print("harness finished", flush=True)


if __name__ == "__main__":
    run(json.loads(Path(sys.argv[1]).read_text()))
