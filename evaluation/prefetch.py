"""The datasets stage of a run: ``python -m evaluation.prefetch SPEC.json RUN_DATASETS_DIR``, before the harness.

The harness child runs sandboxed without a network (core.sandbox), so whatever it reads must be there
first: the worker downloads the model's weights itself (evaluation.worker.weights_download), and this child,
which runs only lm-eval's task code and the suite's task packs (no file of the model), builds the suite's
tasks once: their datasets are downloaded (online) and prepared into the worker's datasets cache. It then copies
the prepared datasets the suite uses into RUN_DATASETS_DIR, the run's own datasets cache, which the harness
reads (and may write) without touching what other runs read. It reports the stage, with the tasks done out of
the suite's, through the run's progress file, as the harness does.

SPEC: the harness child's (evaluation.worker.harness_spec); it reads tasks, task_paths, progress_path and
error_path.
"""

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from evaluation.harness import Progress, _task_manager, _watch_parent, _write_json

FETCHING = "fetching the datasets"


def _tasks(task_dict: dict):
    """The tasks of lm-eval's task dict, groups unfolded."""
    for value in task_dict.values():
        yield from _tasks(value) if isinstance(value, dict) else [value]


def _prepared_dirs(task) -> set[Path]:
    """The cache directories of a task's prepared dataset (each split's Arrow files)."""
    dataset: Any = getattr(task, "dataset", None)
    splits = dataset.values() if hasattr(dataset, "values") else [dataset] if dataset is not None else []
    return {Path(f["filename"]).parent for split in splits for f in getattr(split, "cache_files", [])}


def prefetch(spec: dict, run_datasets: Path) -> None:
    from datasets import config
    from lm_eval.tasks import get_task_dict

    progress = Progress(spec["progress_path"])
    names = [t["task"] for t in spec["tasks"]]
    shared = Path(config.HF_DATASETS_CACHE).resolve()
    try:
        progress.set_stage(f"{FETCHING}: 0 of {len(names)} tasks")
        task_manager = _task_manager(spec["task_paths"], names)
        for done, name in enumerate(names, 1):
            for task in _tasks(get_task_dict([name], task_manager)):  # builds it: downloads, prepares its dataset
                for prepared in _prepared_dirs(task):
                    if prepared.resolve().is_relative_to(shared):
                        copy = run_datasets / prepared.resolve().relative_to(shared)
                        shutil.copytree(prepared, copy, dirs_exist_ok=True)
            progress.set_stage(f"{FETCHING}: {done} of {len(names)} tasks")
    except BaseException as exc:  # what the harness would say, as it says it (evaluation.worker.harness_failure)
        _write_json(spec["error_path"], {"kind": "dataset", "message": f"{type(exc).__name__}: {exc}"})
        raise
    print("datasets fetched", flush=True)


if __name__ == "__main__":
    _watch_parent(os.getppid())
    prefetch(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
