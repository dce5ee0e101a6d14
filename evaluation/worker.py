"""What a worker needs to run the harness for a claimed run: the child's spec (model arguments,
tasks, weights), its working directory and timeout, why a host refuses a run, the progress and
failure the child reports, and killing its whole process group. pipeline.jobs drives it.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from catalogue.models import Scoring
from catalogue.precision import FACTS, WeightType
from core.sandbox import child_parent_pid, sandbox_env, sandboxed
from evaluation.models import EvalRun, FailureKind
from evaluation.routing import Cluster, backend_for, missing_packages
from evaluation.services import Progress

LOG_TAIL_LINES = 40


def task_paths(run: EvalRun) -> list[str]:
    return [str((Path(settings.BASE_DIR) / p).resolve()) for p in run.submission.suite.task_paths]


# Weight files transformers does not read where safetensors are there (the hub checks require them).
OTHER_WEIGHT_FORMATS = ["*.bin", "*.pt", "*.pth", "*.ckpt", "*.h5", "*.msgpack", "*.onnx", "*.gguf", "original/*"]


def weights_download(submission) -> None:
    """Bring the model a run loads into the Hugging Face cache at the commit the hub checks resolved (an adapter's
    or delta's base model at its commit), in the worker, with its credentials, before the child starts; offline
    this is a cache hit. Best effort: what cannot be had here, the child fails to load and says why."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    if submission.weight_type == WeightType.ORIGINAL:
        repo, revision = submission.model_id, submission.commit_sha
    else:
        repo, revision = submission.facts["base_model"], submission.facts["base_commit_sha"]
    with contextlib.suppress(HfHubHTTPError, LocalEntryNotFoundError, OSError, ValueError):
        snapshot_download(repo, revision=revision, ignore_patterns=OTHER_WEIGHT_FORMATS)


def weights_snapshot(submission) -> dict | None:
    """An adapter's or delta's own files, as a local snapshot: lm-eval would fetch them at the base
    model's revision otherwise."""
    if submission.weight_type == WeightType.ORIGINAL:
        return None
    from huggingface_hub import snapshot_download

    path = snapshot_download(submission.model_id, revision=submission.commit_sha)
    return {"model_id": submission.model_id, "revision": submission.commit_sha, "path": path}


def model_args(submission, weights: dict | None = None) -> str:
    """dtype follows the precision; quantized weights compute in float16. Adapter and delta weights load
    on their base model (at the commit the hub checks resolved) through lm-eval's peft= and delta=. A reasoning
    model's thinking ends at its think_end_token; on a generative suite its chat template is asked to think
    (enable_thinking, which lm-eval refuses for log-likelihood tasks)."""
    dtype = FACTS[submission.precision].dtype
    if weights is None:
        args = f"pretrained={submission.model_id},revision={submission.commit_sha},dtype={dtype}"
    else:
        option = "peft" if submission.weight_type == WeightType.ADAPTER else "delta"
        base, base_sha = submission.facts["base_model"], submission.facts["base_commit_sha"]
        args = f"pretrained={base},revision={base_sha},dtype={dtype},{option}={weights['path']}"
    if submission.think_end_token:
        args += f",think_end_token={submission.think_end_token}"
        if not submission.suite.tasks.exclude(scoring=Scoring.GENERATIVE).exists():
            args += ",enable_thinking=True"
    return args


def vllm_args(cluster: Cluster) -> str:
    """The cluster's vLLM settings as lm-eval's vllm model arguments."""
    options = ("tensor_parallel_size", "max_model_len", "gpu_memory_utilization")
    return "".join(f",{name}={getattr(cluster, name)}" for name in options if getattr(cluster, name) is not None)


def harness_spec(run: EvalRun, cluster: Cluster, work_dir: Path) -> dict:
    submission = run.submission
    weights_download(submission)
    weights = weights_snapshot(submission)
    generative = not submission.suite.tasks.exclude(scoring=Scoring.GENERATIVE).exists()
    backend = backend_for(cluster, submission.precision, generative=generative)
    return {
        "model_args": model_args(submission, weights) + (vllm_args(cluster) if backend == "vllm" else ""),
        "weights": weights,
        "backend": backend,
        "quantization": submission.precision if FACTS[submission.precision].bitsandbytes else None,
        "tasks": [{"task": t.task, "num_fewshot": t.num_fewshot} for t in submission.suite.tasks.all()],
        "task_paths": task_paths(run),
        "device": settings.EVAL_DEVICE,
        "batch_size": cluster.batch_size or settings.EVAL_BATCH_SIZE,
        "apply_chat_template": submission.use_chat_template,
        "system_instruction": submission.suite.system_instruction if submission.use_chat_template else "",
        "output_dir": str(work_dir / "output"),
        "progress_path": str(work_dir / "progress.json"),
        "error_path": str(work_dir / "error.json"),
        "parent_pid": child_parent_pid(),
    }


PREFETCH, HARNESS = "evaluation.prefetch", "evaluation.harness"  # a run's two children, one after the other


def hub_cache() -> str:
    """The Hugging Face hub cache: models' weights and the files of datasets on the hub."""
    return os.environ.get("HF_HUB_CACHE") or str(Path(settings.HF_HOME) / "hub")


def child_process(module: str, run: EvalRun, work_dir: Path) -> dict:
    """subprocess's args, env and cwd for a run's child. PREFETCH runs lm-eval's task code only (no file of the
    model) with the network and the worker's hub token: datasets into the worker's caches, those the suite uses
    copied into the run's own datasets cache. HARNESS runs the model in the sandbox (core.sandbox): offline,
    its run's directory its only writable path, the hub cache and the suite's task packs read-only."""
    command = [sys.executable, "-m", module, str(work_dir / "spec.json")]
    cwd, run_datasets = harness_cwd(run, work_dir), str(work_dir / "datasets")
    if module == PREFETCH:
        token = {"HF_TOKEN": os.environ["HF_TOKEN"]} if os.environ.get("HF_TOKEN") else {}
        return {"args": [*command, run_datasets], "env": {**sandbox_env(), **token}, "cwd": cwd}
    env = {**sandbox_env(), "HF_DATASETS_CACHE": run_datasets, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    readable = [hub_cache(), *task_paths(run)]  # a suite's packs may live outside the code
    return sandboxed(command, env=env, cwd=cwd, writable=[work_dir], readable=readable)


def harness_cwd(run: EvalRun, work_dir: Path) -> Path:
    """lm-eval resolves data_files against the working directory: run where the pack is."""
    paths = task_paths(run)
    return Path(paths[0]) if paths else work_dir


def suite_timeout_s(run: EvalRun) -> int:
    return settings.EVAL_SUITE_TIMEOUTS.get(run.submission.suite.slug, settings.EVAL_TIMEOUT_S)


def refusal(run: EvalRun, cluster: Cluster) -> str:
    """Why this worker cannot run the run at all ("" when it can)."""
    submission = run.submission
    if not cluster.fits(run.memory_gib):
        return (
            f"{submission.model_id} needs about {run.memory_gib:.3g} GiB of GPU memory "
            f"({submission.facts['num_params']:,} parameters in {submission.precision}), more than the largest "
            f"GPU host ({cluster.name}, {cluster.gpu_gib:g} GiB) has"
        )
    missing = missing_packages(submission.precision)
    if missing:
        return f"{submission.precision} weights need {' and '.join(missing)}, which the workers of {cluster.name} lack"
    return ""


def read_progress(path: Path) -> Progress | None:
    try:
        data = json.loads(path.read_text())
        started = data.get("requests_started")
        return Progress(
            stage=str(data["stage"]),
            done=int(data["done"]),
            total=int(data["total"]),
            requests_started=datetime.fromtimestamp(started, tz=UTC) if started else None,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def harness_failure(returncode: int, error_path: Path) -> tuple[FailureKind, str]:
    """What the child said went wrong, or what its exit status tells."""
    try:
        error = json.loads(error_path.read_text())
        return FailureKind(error["kind"]), str(error["message"])[:2000]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    if returncode < 0:
        name = signal.Signals(-returncode).name
        hint = " (the host may have run out of memory)" if returncode == -signal.SIGKILL else ""
        return FailureKind.HARNESS, f"the harness was killed by {name}{hint}"
    return FailureKind.HARNESS, f"the harness exited with status {returncode}"


def log_tail(path: Path) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:])


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the child's whole process group: every process it started, and so its GPU memory."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
