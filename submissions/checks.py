"""Run the hub checks of one submission in a child process (``submissions.checks_child``) with limits.

The child runs in the sandbox with no network: online, this process first fetches what it reads into a private
cache (submissions.hub_fetch). It gets RLIMIT_AS (CHECKS_MEMORY_MB) and RLIMIT_CPU (CHECKS_CPU_S) before it
starts, and is killed after CHECKS_TIMEOUT_S of wall-clock time. Whatever a repository holds, this process
reads one bounded line of JSON from it.
"""

import json
import resource
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from huggingface_hub import constants

from core.sandbox import sandbox_env, sandboxed
from submissions.errors import HubUnavailable, SubmissionError
from submissions.hub import CheckLimits
from submissions.hub_fetch import hub_fetch
from submissions.models import ModelSubmission

MAX_OUTPUT_CHARS = 64 * 1024


@dataclass(frozen=True)
class CheckOutcome:
    """One try: the facts (the checks passed), a refusal (a check failed, with its field), or trouble (the
    checks could not run: the hub did not answer, a limit was hit; worth another try)."""

    facts: dict | None = None
    field: str | None = None
    refusal: str = ""
    trouble: str = ""


def _limit_child() -> None:  # runs in the child between fork and exec
    memory = settings.CHECKS_MEMORY_MB * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (settings.CHECKS_CPU_S, settings.CHECKS_CPU_S))


def checks_spec(submission: ModelSubmission) -> dict:
    return {
        "model_id": submission.model_id,
        "commit_sha": submission.commit_sha,
        "precision": submission.precision,
        "weight_type": submission.weight_type,
        "base_model": submission.base_model,
        "base_commit_sha": submission.facts.get("base_commit_sha", ""),
        "use_chat_template": submission.use_chat_template,
        "limits": asdict(CheckLimits.from_settings()),
    }


def checks_process(argument: str, module: str = "submissions.checks_child", *, cache: Path | None = None) -> dict:
    """subprocess's args, env and cwd for the checks child, in the sandbox (core.sandbox), offline: the
    worker's environment allow-list (no secret, no hub token), the hub cache read-only (``cache``, where the parent
    fetched what the child reads online; else the server's own)."""
    cache = cache or Path(constants.HF_HUB_CACHE)
    env = {**sandbox_env(), "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache)}
    return sandboxed([sys.executable, "-m", module, argument], env=env, cwd=settings.BASE_DIR, readable=[cache])


def checks_run(submission: ModelSubmission) -> CheckOutcome:
    """Run the checks child once for ``submission`` (online, on what this process fetched for it first)."""
    spec = checks_spec(submission)
    if constants.HF_HUB_OFFLINE:
        return _child_run(spec)
    folder = Path(settings.DATA_DIR) / "checks"
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder) as cache:
        try:
            hub_fetch(spec, Path(cache), CheckLimits(**spec["limits"]))
        except HubUnavailable as exc:
            return CheckOutcome(trouble=exc.message)
        except SubmissionError as exc:
            return CheckOutcome(field=exc.field, refusal=exc.message)
        return _child_run(spec, cache=Path(cache))


def _child_run(spec: dict, *, cache: Path | None = None) -> CheckOutcome:
    try:
        done = subprocess.run(
            **checks_process(json.dumps(spec), cache=cache),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=settings.CHECKS_TIMEOUT_S,
            preexec_fn=_limit_child,  # safe here: the qcluster worker (or command) that calls this runs no threads
        )
    except subprocess.TimeoutExpired:
        return CheckOutcome(trouble=f"the checks took longer than {settings.CHECKS_TIMEOUT_S} s")
    stderr = done.stderr[-2000:].decode(errors="replace")
    if done.returncode != 0:
        if done.returncode < 0 or done.returncode > 128 or "MemoryError" in stderr:  # bwrap: 128 + the signal
            return CheckOutcome(
                trouble=f"the checks went over their limits ({settings.CHECKS_MEMORY_MB} MiB of memory, "
                f"{settings.CHECKS_CPU_S} s of CPU time)"
            )
        return CheckOutcome(trouble=f"the checks stopped with exit status {done.returncode}")
    try:
        result = json.loads(done.stdout[-MAX_OUTPUT_CHARS:].decode().splitlines()[-1])
    except (ValueError, IndexError):
        return CheckOutcome(trouble="the checks gave no answer")
    return CheckOutcome(
        facts=result.get("facts"),
        field=result.get("field"),
        refusal=str(result.get("refusal") or ""),
    )
