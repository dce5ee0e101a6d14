"""Claiming, queue order and positions, the reaper, refusals and the progress a page shows (no harness runs here)."""

import threading
from datetime import timedelta

from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.db import connection, transaction
from django.template import Context, Template
from django.utils import timezone
from django_q.models import OrmQ, Schedule

from evaluation.models import EvalRun, FailureKind, RunStatus
from evaluation.routing import cluster_get
from evaluation.selectors import run_progress, run_queue_position, runs_in_queue
from evaluation.templatetags.runs import progress_text
from pipeline.delivery import run_queue
from pipeline.intake import submission_cancel
from pipeline.jobs import delivery_handle
from pipeline.lifecycle import REAPER_SCHEDULE, run_start, runs_reap
from submissions.models import Status
from tests.evaluation.helpers import queued_submission
from tests.factories import ModeratorFactory


def _queue(suite, model, sha, priorities):
    runs = []
    for i, priority in enumerate(priorities):
        submission = queued_submission(f"{model}-{i}", sha, suite, priority=priority)
        runs.append(run_queue(submission))
    return runs


def test_a_delivery_claims_the_highest_priority_then_the_oldest_run(suites, tiny_model, settings):
    model_id, sha = tiny_model
    low, high, high_later, low_later = _queue(suites["demo-medical"], model_id, sha, [0, 5, 5, 0])
    assert [run_queue_position(r) for r in (low, high, high_later, low_later)] == [3, 1, 2, 4]
    assert [r.pk for r in runs_in_queue()] == [high.pk, high_later.pk, low.pk, low_later.pk]

    default = cluster_get("default")
    claimed = [run_start(cluster=default) for _ in range(5)]
    assert [r.pk if r else None for r in claimed] == [high.pk, high_later.pk, low.pk, low_later.pk, None]
    high.refresh_from_db()
    assert high.status == RunStatus.RUNNING and high.submission.status == Status.RUNNING
    assert run_queue_position(high) is None
    queue = list(runs_in_queue())
    assert [(r.pk, r.status) for r in queue][:1] == [(high.pk, RunStatus.RUNNING)]


def test_a_cluster_claims_only_its_own_runs(suites, tiny_model, settings):
    settings.EVAL_CLUSTERS = {"small": {"gpu_gib": 1}, "big": {"gpu_gib": 100}}
    model_id, sha = tiny_model
    big_run = run_queue(queued_submission(model_id, sha, suites["demo-medical"], facts={"num_params": 2 * 10**9}))
    assert big_run.cluster == "big"
    assert run_start(cluster=cluster_get("small")) is None
    assert run_start(cluster=cluster_get("big")).pk == big_run.pk


def test_a_run_that_does_not_fit_is_handed_on(suites, tiny_model, settings, django_capture_on_commit_callbacks):
    model_id, sha = tiny_model
    settings.EVAL_CLUSTERS = {"small": {"gpu_gib": 100}, "big": {"gpu_gib": 200}}
    run = run_queue(queued_submission(model_id, sha, suites["demo-medical"], facts={"num_params": 20 * 10**9}))
    assert run.cluster == "small"  # 89.4 GiB fitted the small host as configured then
    settings.EVAL_CLUSTERS = {"small": {"gpu_gib": 24}, "big": {"gpu_gib": 200}}  # it was a 24 GiB GPU after all
    with django_capture_on_commit_callbacks(execute=True):
        assert run_start(cluster=cluster_get("small")) is None
    run.refresh_from_db()
    assert (run.status, run.cluster) == (RunStatus.QUEUED, "big")
    assert OrmQ.objects.filter(key="big").count() == 1  # a delivery for the cluster it went to
    assert run_start(cluster=cluster_get("big")).pk == run.pk


def test_concurrent_deliveries_skip_each_others_runs(transactional_db, suites, tiny_model):
    """Two workers at once: SELECT ... FOR UPDATE SKIP LOCKED gives each a different run."""
    model_id, sha = tiny_model
    first, second = _queue(suites["demo-medical"], model_id, sha, [1, 0])
    holding, release, got = threading.Event(), threading.Event(), {}

    def worker_a():
        with transaction.atomic():
            got["a"] = run_start(cluster=cluster_get("default"))
            holding.set()
            got["released"] = release.wait(10)  # False if worker b blocked on our lock instead
        connection.close()

    thread = threading.Thread(target=worker_a)
    thread.start()
    assert holding.wait(10)
    got["b"] = run_start(cluster=cluster_get("default"))  # does not wait for worker a's lock
    release.set()
    thread.join()
    assert got["released"] and (got["a"].pk, got["b"].pk) == (first.pk, second.pk)


def test_the_reaper_requeues_a_stale_run_then_gives_up(transactional_db, suites, tiny_model, settings):
    settings.EVAL_STALE_S, settings.EVAL_MAX_ATTEMPTS = 60, 2
    model_id, sha = tiny_model
    submission = queued_submission(model_id, sha, suites["demo-medical"])
    run_queue(submission)
    first = run_start(cluster=cluster_get("default"))
    OrmQ.objects.all().delete()  # as if a worker had taken the delivery
    assert runs_reap() == []  # alive

    EvalRun.objects.filter(pk=first.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    assert runs_reap() == [first.pk]
    assert runs_reap() == []  # reaping twice changes nothing
    first.refresh_from_db()
    submission.refresh_from_db()
    assert (first.status, first.failure_kind) == (RunStatus.FAILED, FailureKind.WORKER_LOST)
    assert "stopped sending heartbeats" in first.failure_reason and "requeued as attempt 2" in first.failure_reason
    assert submission.status == Status.QUEUED
    second = submission.runs.get(status=RunStatus.QUEUED)
    assert (second.attempt, second.cluster) == (2, "default")
    assert OrmQ.objects.filter(key="default").count() == 1  # a delivery for the new attempt, and only one

    assert run_start(cluster=cluster_get("default")).pk == second.pk
    EvalRun.objects.filter(pk=second.pk).update(heartbeat_at=timezone.now() - timedelta(seconds=61))
    assert runs_reap() == [second.pk]
    second.refresh_from_db()
    submission.refresh_from_db()
    assert second.status == RunStatus.FAILED and "gave up after 2 attempts" in second.failure_reason
    assert submission.status == Status.FAILED
    assert submission.failure_reason == second.failure_reason and submission.failure_reason.startswith("worker lost: ")
    assert submission.runs.count() == 2


def test_a_queued_run_whose_delivery_was_lost_gets_another(transactional_db, suites, tiny_model):
    model_id, sha = tiny_model
    runs = _queue(suites["demo-medical"], model_id, sha, [0, 0, 0])
    assert OrmQ.objects.filter(key="default").count() == 3
    OrmQ.objects.filter(pk__in=OrmQ.objects.order_by("pk").values("pk")[:2]).delete()  # django-q2 gave up on two
    runs_reap()
    assert OrmQ.objects.filter(key="default").count() == 3
    runs_reap()
    assert OrmQ.objects.filter(key="default").count() == 3  # never more than needed
    assert [run_start(cluster=cluster_get("default")).pk for _ in runs] == [r.pk for r in runs]


def test_the_reaper_schedule_runs_runs_reap(db):
    call_command("reaper_schedule")
    call_command("reaper_schedule", "--minutes", "2")  # updates, never duplicates
    schedule = Schedule.objects.get(name=REAPER_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes, schedule.cluster) == (
        "pipeline.lifecycle.runs_reap",
        Schedule.MINUTES,
        2,
        None,
    )


def test_a_worker_refuses_what_it_cannot_run_with_a_clear_reason(suites, tiny_model, settings):
    model_id, sha = tiny_model
    settings.EVAL_CLUSTERS = {"default": {"gpu_gib": 8}}
    too_big = queued_submission(
        model_id, sha, suites["demo-medical"], precision="float16", facts={"num_params": 7 * 10**9}
    )
    run_queue(too_big)
    assert delivery_handle(0) == "refused"
    too_big.refresh_from_db()
    assert too_big.status == Status.FAILED
    assert too_big.failure_reason == (
        f"refused: {model_id} needs about 15.6 GiB of GPU memory (7,000,000,000 parameters in float16), "
        "more than the largest GPU host (default, 8 GiB) has"
    )

    eight_bit = queued_submission(model_id, sha, suites["medical"], precision="8bit", facts={"num_params": 10**6})
    run = run_queue(eight_bit)
    result = delivery_handle(run.pk)
    run.refresh_from_db()
    if run.failure_kind == FailureKind.REFUSED:  # where bitsandbytes is missing (it is, on CPU-only hosts)
        assert result == "refused"
        assert run.failure_reason == "refused: 8bit weights need bitsandbytes, which the workers of default lack"
    else:
        assert result != "refused"


def test_a_queued_run_is_cancelled_before_any_worker_takes_it(suites, tiny_model):
    model_id, sha = tiny_model
    submission = queued_submission(model_id, sha, suites["demo-medical"])
    run = run_queue(submission)
    submission_cancel(submission, actor=ModeratorFactory(), note="withdrawn")
    run.refresh_from_db()
    assert run.status == RunStatus.CANCELLED
    assert delivery_handle(run.pk) == f"delivery for run {run.pk}: nothing queued on cluster default"


def test_staff_cancel_runs_from_the_admin(suites, tiny_model, client):
    model_id, sha = tiny_model
    submission = queued_submission(model_id, sha, suites["demo-medical"])
    run = run_queue(submission)
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))
    response = client.post("/admin/evaluation/evalrun/", {"action": "cancel", "_selected_action": [run.pk]})
    assert response.status_code == 302
    run.refresh_from_db()
    submission.refresh_from_db()
    assert (run.status, submission.status) == (RunStatus.CANCELLED, Status.CANCELLED)
    assert submission.events.last().actor.username == "admin"


def test_progress_elapsed_and_eta(suites, tiny_model, client):
    model_id, sha = tiny_model
    run = run_queue(queued_submission(model_id, sha, suites["demo-medical"]))
    assert progress_text(run_progress(run)) == "queued, 1st in line"

    run = run_start(cluster=cluster_get("default"))
    now = timezone.now()
    EvalRun.objects.filter(pk=run.pk).update(
        started_at=now - timedelta(seconds=100),
        progress_started_at=now - timedelta(seconds=60),
        heartbeat_at=now - timedelta(seconds=10),
        progress_stage="running requests",
        progress_done=250,
        progress_total=1000,
    )
    run.refresh_from_db()
    p = run_progress(run, now=now)
    # 250 requests in the 50 s before the last heartbeat: 750 more take 150 s, 10 of which have passed.
    assert (p.done, p.total, p.percent, p.elapsed_s, p.eta_s) == (250, 1000, 25.0, 100, 140)
    assert (
        progress_text(p) == "running requests · 250 / 1,000 requests (25%) · 1 min 40 s elapsed · about 2 min 20 s left"
    )

    data = client.get(f"/runs/{run.pk}/progress.json").json()
    assert (data["status"], data["done"], data["total"], data["final"]) == ("RUNNING", 250, 1000, False)
    assert data["text"].startswith("running requests · 250 / 1,000 requests (25%)")
    assert client.get("/runs/999999/progress.json").status_code == 404

    html = Template("{% load runs %}{% run_progress_bar run %}").render(Context({"run": run}))
    assert f'data-url="/runs/{run.pk}/progress.json"' in html and 'data-final="0"' in html
    assert '<progress max="100" value="25.0"' in html and "evaluation/progress.js" in html
    assert finders.find("evaluation/progress.js")
