"""Two real django-q2 clusters (``manage.py qcluster`` processes) serving one queue take its runs in the documented
order: the moderators' priority, then the votes, then the submission time."""

import threading
from datetime import timedelta

import psutil
from django.db import connection, transaction
from django.utils import timezone

from evaluation.models import EvalRun, FailureKind, RunEvent, RunStatus
from pipeline.delivery import run_queue
from submissions.models import ModelSubmission
from submissions.votes import vote_cast
from tests.conftest import wait_for
from tests.evaluation.helpers import queued_submission
from tests.factories import verified_user

# name: (priority, votes, hours since it was submitted)
QUEUE = {
    "m0": (0, 0, 8),
    "m1": (0, 3, 1),
    "m2": (2, 0, 0),
    "m3": (0, 3, 2),
    "m4": (0, 1, 7),
    "m5": (1, 5, 3),
    "m6": (0, 0, 9),
    "m7": (0, 1, 6),
}
DOCUMENTED = ["m2", "m5", "m3", "m1", "m4", "m7", "m6", "m0"]
# More than the clusters' 8 GiB GPUs hold: each worker claims its run, then refuses it at once (no harness child).
TOO_BIG = {"num_params": 10**13}
# One worker each: each cluster process has at most one claim in flight.
CLUSTER_ENV = {"EVAL_CLUSTERS": '{"default": {"gpu_gib": 8}}', "Q_WORKERS": "1"}


def hold_rows(locked: threading.Event, release: threading.Event) -> None:
    """Hold every submission's row (FOR NO KEY UPDATE: runs may still be created for them) until ``release``."""
    try:
        with transaction.atomic():
            list(ModelSubmission.objects.select_for_update(no_key=True))
            locked.set()
            release.wait(150)
    finally:
        connection.close()


def claims_waiting() -> int:
    """How many other connections wait to lock a submission's row."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND query LIKE %s",
            [f"%{ModelSubmission._meta.db_table}%FOR UPDATE%"],
        )
        return cursor.fetchone()[0]


def test_two_clusters_claim_runs_by_priority_then_votes_then_submission_time(start_cluster, suites, tmp_path):
    now = timezone.now()
    submissions = {}
    for name, (priority, votes, hours) in QUEUE.items():
        submission = queued_submission(f"order-org/{name}", name * 20, suites["demo-medical"], facts=TOO_BIG)
        ModelSubmission.objects.filter(pk=submission.pk).update(
            priority=priority, created_at=now - timedelta(hours=hours)
        )
        for _ in range(votes):
            voter = verified_user(date_joined=now - timedelta(days=30))
            vote_cast(user=voter, submission=submission)
        submissions[name] = submission

    clusters = [start_cluster("default", **CLUSTER_ENV), start_cluster("default", **CLUSTER_ENV)]
    wait_for(
        lambda: all("running" in log.read_text() for log in tmp_path.glob("default-*.log")),
        timeout=120,
        what="both clusters to start",
    )
    # Both clusters must take part, whichever polls first: while another connection holds the submissions' rows,
    # each worker's claim locks a run and waits to mark its submission RUNNING, so a second claim skips that run
    # and takes the next. The rows are let go once both clusters' workers wait so, each with its claim.
    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_rows, args=(locked, release))
    holder.start()
    try:
        assert locked.wait(30)
        with transaction.atomic():  # every delivery at once, the runs created in another order than the documented one
            runs = {name: run_queue(submissions[name]) for name in reversed(QUEUE)}
        wait_for(lambda: claims_waiting() == 2, timeout=120, what="a worker of each cluster to claim a run")
    finally:
        release.set()
        holder.join()
    wait_for(
        lambda: not EvalRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).exists(),
        timeout=180,
        what="both clusters to claim (and refuse) every run",
    )

    claims = {
        event.run_id: event for event in RunEvent.objects.filter(to_status=RunStatus.RUNNING).select_related("run")
    }
    claimed = {name: claims[run.pk] for name, run in runs.items()}
    workers = {event.run.worker for event in claimed.values()}
    processes = {p.pid for cluster in clusters for p in psutil.Process(cluster.pid).children(recursive=True)}
    assert {int(worker.rpartition(":")[2]) for worker in workers} <= processes
    assert len(workers) == 2, f"both clusters took runs: {workers}"
    # SKIP LOCKED: a claim passes over a run ahead of it only while another worker's claim holds it, and each
    # worker has one claim in flight at most; so at most one run ahead of a run is claimed after it, by the other
    # worker, and each worker's own claims follow the documented order.
    for place, name in enumerate(DOCUMENTED):
        later_ahead = [a for a in DOCUMENTED[:place] if claimed[a].pk > claimed[name].pk]
        assert len(later_ahead) <= 1, (name, later_ahead)
        assert all(claimed[a].run.worker != claimed[name].run.worker for a in later_ahead), (name, later_ahead)
    for worker in workers:
        mine = sorted((event.pk, name) for name, event in claimed.items() if event.run.worker == worker)
        names = [name for _, name in mine]
        assert names == sorted(names, key=DOCUMENTED.index), (worker, names)
    assert {(event.run.status, event.run.failure_kind) for event in claimed.values()} == {
        (RunStatus.FAILED, FailureKind.REFUSED)
    }
