"""Run the hub checks of one submission in a child process (``submissions.checks_child``) with limits.

The child gets RLIMIT_AS (CHECKS_MEMORY_MB) and RLIMIT_CPU (CHECKS_CPU_S) before it starts, and
is killed after CHECKS_TIMEOUT_S of wall-clock time. Whatever a repository holds, this process
reads one bounded line of JSON from it.
"""

import json
import resource
import subprocess
import sys
from dataclasses import asdict, dataclass

from django.conf import settings
from huggingface_hub import constants

from evaluation.sandbox import sandboxed
from evaluation.worker import harness_env
from submissions.hub import CheckLimits
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


def checks_process(argument: str, module: str = "submissions.checks_child") -> dict:
    """subprocess's args, env and cwd for the checks child, in the sandbox (evaluation.sandbox): the worker's
    environment allow-list (no secret, no hub token: the checks read public models only), the hub cache read-only;
    online, a cache of its own for what it downloads, and the network."""
    online = not constants.HF_HUB_OFFLINE
    env = {
        **harness_env(),
        "HF_HUB_OFFLINE": "0" if online else "1",
        "HF_ENDPOINT": constants.ENDPOINT,
        **({"HF_HUB_CACHE": "/tmp/hub"} if online else {}),
    }
    return sandboxed(
        [sys.executable, "-m", module, argument],
        env=env,
        cwd=settings.BASE_DIR,
        readable=[] if online else [constants.HF_HUB_CACHE],
        network=online,
    )


def checks_run(submission: ModelSubmission) -> CheckOutcome:
    """Run the checks child once for ``submission``."""
    try:
        done = subprocess.run(
            **checks_process(json.dumps(checks_spec(submission))),
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
        trouble=str(result.get("trouble") or ""),
    )
