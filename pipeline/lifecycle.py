"""The steps of a run's life that move more than the run: its submission and the ranking.

evaluation writes runs (and fails a run's submission with it, evaluation.jobs.run_fail); submissions writes
submissions; leaderboard writes rankings. A run that starts (its queue's deliveries), finishes (its ranking) or
loses its worker (a new attempt, delivered) reaches past evaluation, so those steps live here, each in one
transaction.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from evaluation import services as runs
from evaluation.ingest import HarnessOutput
from evaluation.models import EvalRun, FailureKind
from evaluation.routing import Cluster
from pipeline.delivery import run_deliver, run_queue, runs_redeliver
from rankings.services import entry_refresh
from submissions.models import ModelSubmission, Status
from submissions.transitions import submission_fail, submission_transition
from submissions.votes import votes_refresh

REAPER_SCHEDULE = "evaluation: requeue runs whose worker was lost"


@transaction.atomic
def run_start(*, cluster: Cluster, run_id: int | None = None) -> EvalRun | None:
    """Claim the best queued run of ``cluster`` (or run ``run_id``) and mark its submission RUNNING."""
    run, handed_on = runs.run_claim(cluster=cluster, run_id=run_id)
    for other in handed_on:
        run_deliver(other)
    if run is not None:
        submission_transition(
            run.submission, Status.RUNNING, note=f"run {run.pk} started on {run.worker} ({cluster.name})"
        )
    return run


@transaction.atomic
def run_finish(run: EvalRun, output: HarnessOutput, record: dict) -> bool:
    """Store results and samples, finish the run and its submission and rank it: all or nothing.
    False (and nothing stored) when the run is no longer RUNNING."""
    locked = runs.run_lock_running(run)
    if locked is None:
        return False
    run = locked
    runs.run_store(run, output, record)
    entry_refresh(run)
    submission_transition(run.submission, Status.FINISHED, note=f"run {run.pk} finished")
    return True


def runs_reap() -> list[int]:
    """Fail every RUNNING run whose worker stopped sending heartbeats and queue a new attempt of its
    submission, or fail the submission after EVAL_MAX_ATTEMPTS; then count the waiting submissions' votes
    again (voters' accounts come of age) and top up lost deliveries.
    Returns the reaped runs. The reaper schedule calls this; so may anyone, any number of times."""
    stale, stale_before = runs.runs_stale()
    reaped = [run_id for run_id in stale if _run_reap(run_id, stale_before)]
    votes_refresh()
    runs_redeliver()
    return reaped


@transaction.atomic
def _run_reap(run_id: int, stale_before) -> bool:
    run = runs.run_lock_stale(run_id, stale_before)
    if run is None:
        return False
    last = timezone.localtime(run.heartbeat_at).strftime("%Y-%m-%d %H:%M:%S %Z")
    lost = f"{run.worker} stopped sending heartbeats (last at {last})"
    if run.attempt < settings.EVAL_MAX_ATTEMPTS:
        runs.run_mark_failed(run, FailureKind.WORKER_LOST, f"{lost}; requeued as attempt {run.attempt + 1}")
        submission_transition(
            run.submission, Status.QUEUED, note=f"run {run.pk}: worker lost; attempt {run.attempt + 1} queued"
        )
        run_queue(run.submission, attempt=run.attempt + 1)
    else:
        reason = runs.run_mark_failed(run, FailureKind.WORKER_LOST, f"{lost}; gave up after {run.attempt} attempts")
        submission_fail(run.submission, reason=reason)
    return True


def reaper_schedule(*, minutes: int = 1, cluster: str | None = None) -> Schedule:
    """Create or update the django-q2 schedule that runs ``runs_reap``. With no cluster it runs on the
    site's default cluster (``manage.py qcluster`` without Q_CLUSTER_NAME)."""
    schedule, _ = Schedule.objects.update_or_create(
        name=REAPER_SCHEDULE,
        defaults={
            "func": "pipeline.lifecycle.runs_reap",
            "schedule_type": Schedule.MINUTES,
            "minutes": minutes,
            "repeats": -1,
            "cluster": cluster,
        },
    )
    return schedule


@transaction.atomic
def run_import(submission: ModelSubmission, output: HarnessOutput, record: dict) -> EvalRun:
    """Bring in an evaluation the ``lm_eval`` CLI made elsewhere: a pending submission becomes a
    finished run with those results and samples, in one transaction."""
    submission_transition(submission, Status.QUEUED, note="imported from lm_eval results")
    run = runs.run_import_start(submission)
    submission_transition(submission, Status.RUNNING, note=f"run {run.pk}: importing lm_eval results")
    run_finish(run, output, record)
    run.refresh_from_db()
    return run
