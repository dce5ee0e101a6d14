"""/metrics: only for the operators' scraper; the platform's values move as a run goes through its life (a real run,
the harness a real child process, in a thread of this test while the page is scraped)."""

import threading
from datetime import timedelta

from django.db import connection
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from evaluation.models import EvalRun, RunStatus
from pipeline.intake import submission_submit
from pipeline.jobs import delivery_handle
from pipeline.lifecycle import runs_reap
from tests.conftest import wait_for
from tests.factories import EvalRunFactory


def scrape(client, **headers) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    samples = [
        ((sample.name, tuple(sorted(sample.labels.items()))), sample.value)
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    ]
    assert len(dict(samples)) == len(samples), "a sample given twice"
    return dict(samples)


def value(metrics, name: str, **labels) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_only_the_allowed_addresses_or_the_token_read_the_metrics(client, settings, db):
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1, allowed by default
    # ...unless a proxy on this host forwarded it and NUM_PROXIES does not count that proxy: then 127.0.0.1 is the
    # proxy, and the client anyone.
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    settings.NUM_PROXIES = 1
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200
    settings.NUM_PROXIES = 0
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    metrics = scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-token")
    # django-prometheus's own, beside the platform's
    assert any(name.startswith("django_http_requests") for name, _ in metrics)


def test_the_platforms_values_move_as_a_run_goes_through_its_life(transactional_db, client, tiny_model, suites):
    model_id, _ = tiny_model
    before = scrape(client)
    assert value(before, "leaderboard_runs", status="QUEUED", cluster="default") == 0
    submission = submission_submit(
        user=None,
        model_id=model_id,
        revision="main",
        precision="float32",
        suite=suites["demo-medical"],
        review=False,
        check_now=True,
    )
    run = submission.runs.get()
    queued = scrape(client)
    assert value(queued, "leaderboard_submissions", status="QUEUED") == 1
    assert value(queued, "leaderboard_runs", status="QUEUED", cluster="default") == 1
    assert value(queued, "leaderboard_oldest_waiting_seconds", queue="default") > 0
    assert value(queued, "leaderboard_checks_latency_seconds_count") == 1

    def work():
        try:
            delivery_handle(run.pk)
        finally:
            connection.close()

    worker = threading.Thread(target=work)
    worker.start()
    wait_for(lambda: EvalRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).exists(), 60, "the run to start")
    running = scrape(client)
    assert value(running, "leaderboard_runs", status="RUNNING", cluster="default") == 1
    assert value(running, "leaderboard_runs", status="QUEUED", cluster="default") == 0
    assert value(running, "leaderboard_oldest_waiting_seconds", queue="default") == 0
    worker.join(timeout=300)
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED

    finished = scrape(client)
    duration = (run.finished_at - run.started_at).total_seconds()
    assert value(finished, "leaderboard_runs_finished_total", cluster="default") == 1
    assert value(finished, "leaderboard_submissions", status="FINISHED") == 1
    assert value(finished, "leaderboard_run_duration_seconds_count", cluster="default") == 1
    assert abs(value(finished, "leaderboard_run_duration_seconds_sum", cluster="default") - duration) < 1e-3
    assert value(finished, "leaderboard_run_duration_seconds_bucket", cluster="default", le="+Inf") == 1
    gpu = ("leaderboard_gpu_seconds_total", (("cluster", "default"),))
    assert finished[gpu] == run.record["gpu_seconds"]  # 0 on a CPU, the run's wall time on a GPU

    # A worker lost: the reaper fails its run and queues the next attempt.
    lost = EvalRunFactory(status=RunStatus.RUNNING, cluster="default", attempt=1)
    EvalRun.objects.filter(pk=lost.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    assert runs_reap() == [lost.pk]
    reaped = scrape(client)
    assert value(reaped, "leaderboard_runs_reaped_total", cluster="default") == 1
    assert value(reaped, "leaderboard_runs_failed_total", cluster="default", kind="worker_lost") == 1
    assert value(reaped, "leaderboard_runs", status="QUEUED", cluster="default") == 1
