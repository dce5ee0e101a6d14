"""The datasets stage of a run: ``python -m evaluation.prefetch SPEC.json``, before the harness child.

The harness child runs sandboxed without a network (evaluation.sandbox), so whatever it reads must be in the
cache first: the worker downloads the model's weights itself (evaluation.worker.weights_download), and this
child, which runs only lm-eval's task code and the suite's task packs (no file of the model), builds the
suite's tasks once, which downloads and prepares their datasets into the Hugging Face caches. It reports the
stage, with the tasks done out of the suite's, through the run's progress file, as the harness does.

SPEC: the harness child's (evaluation.worker.harness_spec); it reads tasks, task_paths and progress_path.
"""

import json
import os
import sys
from pathlib import Path

from evaluation.harness import Progress, _task_manager, _watch_parent, _write_json

FETCHING = "fetching the datasets"


def prefetch(spec: dict) -> None:
    from lm_eval.tasks import get_task_dict

    progress = Progress(spec["progress_path"])
    names = [t["task"] for t in spec["tasks"]]
    try:
        progress.set_stage(f"{FETCHING}: 0 of {len(names)} tasks")
        task_manager = _task_manager(spec["task_paths"], names)
        for done, name in enumerate(names, 1):
            get_task_dict([name], task_manager)  # builds the task: its dataset is downloaded and prepared
            progress.set_stage(f"{FETCHING}: {done} of {len(names)} tasks")
    except BaseException as exc:  # what the harness would say, as it says it (evaluation.worker.harness_failure)
        _write_json(spec["error_path"], {"kind": "dataset", "message": f"{type(exc).__name__}: {exc}"})
        raise
    print("datasets fetched", flush=True)


if __name__ == "__main__":
    _watch_parent(os.getppid())
    prefetch(json.loads(Path(sys.argv[1]).read_text()))
