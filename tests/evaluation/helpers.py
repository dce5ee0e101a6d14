"""Helpers of the evaluation tests."""

import psutil

from evaluation.models import RunStatus
from submissions.models import ModelSubmission, Status

FINAL = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELLED)


def harness_processes(run) -> list[psutil.Process]:
    """The live harness child processes of a run (found by the spec path on their command line), not the
    bubblewrap processes around them (core.sandbox)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = process.info["cmdline"] or []
        ours = "evaluation.harness" in cmdline and any(f"run-{run.pk}/spec.json" in part for part in cmdline)
        ours = ours and not cmdline[0].endswith("bwrap")
        if ours and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def queued_submission(model_id: str, sha: str, suite, *, precision: str = "float32", facts=None, priority: int = 0):
    """A submission already past review (QUEUED), stored directly: for models or precisions the hub
    checks would refuse at submission time, which a worker must still handle."""
    return ModelSubmission.objects.create(
        model_id=model_id,
        commit_sha=sha,
        precision=precision,
        suite=suite,
        status=Status.QUEUED,
        facts=facts or {},
        priority=priority,
    )
