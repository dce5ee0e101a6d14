"""How a queued run reaches a worker: a django-q2 task, ``pipeline.jobs.delivery_handle``, on the run's cluster.

The job claims a run, marks its submission running, and when the harness is done stores the results, finishes the
submission and ranks it: it spans runs, submissions and rankings, so it is pipeline's, and so is every place that
sends it (no lower app names a task above it). evaluation.services creates, claims and routes the runs themselves.
"""

import logging

from django.db import transaction
from django_q.brokers import get_broker
from django_q.tasks import async_task

from evaluation.models import EvalRun
from evaluation.selectors import runs_queued_by_cluster
from evaluation.services import run_enqueue
from submissions.models import ModelSubmission

log = logging.getLogger(__name__)

DELIVERY_TASK = "pipeline.jobs.delivery_handle"


def _send(run_id: int, cluster: str) -> None:
    async_task(DELIVERY_TASK, run_id, cluster=cluster, task_name=f"run-{run_id}")


def run_deliver(run: EvalRun) -> None:
    """Once committed, hand the run's cluster a delivery. A delivery claims the best queued run of its cluster, so
    deliveries and queued runs only need to match in number."""
    run_id, cluster = run.pk, run.cluster
    transaction.on_commit(lambda: _send(run_id, cluster))


@transaction.atomic
def run_queue(submission: ModelSubmission, *, attempt: int = 1, note: str = "") -> EvalRun:
    """A new QUEUED run of ``submission`` (evaluation.services.run_enqueue), delivered to its cluster once committed."""
    run = run_enqueue(submission, attempt=attempt, note=note)
    run_deliver(run)
    return run


def runs_redeliver() -> None:
    """Give every cluster at least as many waiting deliveries as it has queued runs (a delivery django-q2
    gave up on must not leave a run QUEUED for ever; a spare one finds nothing and does nothing)."""
    for cluster, run_ids in runs_queued_by_cluster().items():
        waiting = get_broker(cluster).queue_size()
        for run_id in run_ids[waiting:]:
            log.warning("run %s had no delivery waiting on cluster %s: sending one", run_id, cluster)
            _send(run_id, cluster)
