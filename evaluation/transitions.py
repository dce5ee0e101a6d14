"""The runs' status machine: the one table of moves, and the guarded functions that make them, each writing the
run's history rows (RunEvent). Submissions have theirs in submissions.transitions."""

from collections.abc import Sequence
from typing import Any

from core.bulk import model_dicts_copy, model_rows_copy
from core.errors import TransitionError
from core.transitions import status_path
from evaluation.models import EvalRun, RunEvent, RunStatus

# The only moves a run may make. A run that failed stays failed: its submission gets a new run.
TRANSITIONS: dict[str, set[str]] = {
    RunStatus.QUEUED: {RunStatus.RUNNING, RunStatus.CANCELLED},
    RunStatus.RUNNING: {RunStatus.FINISHED, RunStatus.FAILED, RunStatus.CANCELLED},
    RunStatus.FINISHED: set(),
    RunStatus.FAILED: set(),
    RunStatus.CANCELLED: set(),
}
EVENT_FIELDS = ("run", "from_status", "to_status", "note", "created_at")


def run_transition(run: EvalRun, to_status: str, *, note: str = "", **fields: Any) -> None:
    """Move a run along TRANSITIONS, with ``fields`` saved alongside, and write the history row.
    The caller holds the run's row lock (it read ``run`` with select_for_update)."""
    if to_status not in TRANSITIONS[run.status]:
        raise TransitionError(f"a {RunStatus(run.status).label} run cannot become {RunStatus(to_status).label}")
    from_status = run.status
    run.status = to_status
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=["status", *fields])
    RunEvent.objects.create(run=run, from_status=from_status, to_status=to_status, note=note)


def runs_create_bulk(*, runs: Sequence[dict[str, Any]], notes: Sequence[str]) -> int:
    """COPY new runs that ran elsewhere (an import), each with its history rows: created QUEUED, then along
    TRANSITIONS to its ``status``, every row stamped at its ``created_at`` with its note. Each run is a dict of the
    same fields, its ``id`` taken with core.bulk.ids_take. Returns how many; TransitionError (nothing written) when
    a run's status cannot be reached."""
    events = []
    for run, note in zip(runs, notes, strict=True):
        start = ""
        for status in [RunStatus.QUEUED, *status_path(TRANSITIONS, RunStatus.QUEUED, run["status"])]:
            events.append((run["id"], start, status, note, run["created_at"]))
            start = status
    model_dicts_copy(model=EvalRun, rows=runs)
    model_rows_copy(model=RunEvent, fields=EVENT_FIELDS, rows=events)
    return len(runs)
