"""The job a django-q2 worker runs: ``delivery_handle(run_id)`` (sent by pipeline.delivery).

A delivery claims the best queued run of this host's cluster (SELECT ... FOR UPDATE SKIP LOCKED) and runs it
(evaluation.jobs.run_evaluate); pipeline.lifecycle.run_finish stores everything in one transaction and ranks it.
django-q2 delivers at least once: a second delivery finds the run claimed or done, and runs the next queued run or
nothing.

The task was ``pipeline.jobs.execute_run`` before: a delivery queued under that name before an upgrade fails in
django-q2 (no such function), and the reaper's next round (pipeline.delivery.runs_redeliver) sends its run a new one.
"""

from evaluation.jobs import run_evaluate
from evaluation.routing import this_cluster
from pipeline.lifecycle import run_finish, run_start


def delivery_handle(run_id: int) -> str:
    """The django-q2 task. ``run_id`` is the run whose queueing sent this delivery; the delivery
    runs the best queued run of this host's cluster, which honours priorities."""
    cluster = this_cluster()
    run = run_start(cluster=cluster)
    if run is None:
        return f"delivery for run {run_id}: nothing queued on cluster {cluster.name}"
    return run_evaluate(run, cluster, finish=run_finish)


def run_evaluate_now(run_id: int) -> str:
    """Run this very run in this process (``manage.py evaluate --sync``), if it is still queued."""
    cluster = this_cluster()
    run = run_start(cluster=cluster, run_id=run_id)
    if run is None:
        return f"run {run_id} is not queued here: nothing to do"
    return run_evaluate(run, cluster, finish=run_finish)
