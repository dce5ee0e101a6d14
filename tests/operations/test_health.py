"""/health/live/ and /health/ready/: each component of readiness down in turn gives a 503 naming it; real clusters'
heartbeats make and break it."""

import os
import signal
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.utils import timezone

from evaluation.brokers import cluster_heartbeat_key
from evaluation.models import EvalRun, RunStatus
from operations.health import Readiness
from tests.conftest import wait_for
from tests.factories import EvalRunFactory

ALL_UP = {"status": "ok"}


@pytest.fixture(autouse=True)
def readiness_computed_each_time(settings):
    settings.HEALTH_READY_CACHE_S = 0
    Readiness.last = None  # nothing kept from another test


def ready(client) -> tuple[int, dict]:
    response = client.get("/health/ready/")
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json()


def failing(report: dict) -> dict[str, str]:
    return {name: check["detail"] for name, check in report["checks"].items() if check["status"] != "ok"}


def test_liveness_answers_without_the_database(client):
    response = client.get("/health/live/")  # without the db fixture, any query would raise
    assert response.status_code == 200 and response.json() == ALL_UP
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
@override_settings(HEALTH_CLUSTERS=[])
def test_readiness_names_each_component_that_is_down(client, settings, tmp_path):
    status, report = ready(client)
    assert status == 200 and report["status"] == "ok" and not failing(report), report
    assert set(report["checks"]) == {"database", "cache", "rate limit cache", "migrations", "disk", "queue"}

    # The database: a connection to a server that is not there.
    host = connection.settings_dict["HOST"]
    connection.settings_dict["HOST"] = str(tmp_path)  # no server's socket there
    try:
        status, report = ready(client)
    finally:
        connection.settings_dict["HOST"] = host
    assert status == 503 and report["status"] == "unavailable"
    assert "database" in failing(report)
    assert host not in str(report) and str(tmp_path) not in str(report)  # no path, host or secret

    # A shared cache: Redis where none listens.
    dead_redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    with override_settings(CACHES={**settings.CACHES, "ratelimit": dead_redis}):
        status, report = ready(client)
    assert status == 503 and list(failing(report)) == ["rate limit cache"]

    # A migration of the code not applied to the database.
    applied = MigrationRecorder.Migration.objects.filter(app="evaluation").order_by("-id").first()
    applied.delete()
    status, report = ready(client)
    assert status == 503 and failing(report) == {"migrations": "1 migrations are not applied"}
    MigrationRecorder.Migration.objects.create(app="evaluation", name=applied.name)
    assert ready(client)[0] == 200

    # DATA_DIR's disk fuller than allowed.
    with override_settings(HEALTH_MAX_DISK_PERCENT=0.001):
        status, report = ready(client)
    assert status == 503 and list(failing(report)) == ["disk"]

    # A run waiting longer than allowed.
    run = EvalRunFactory(status=RunStatus.QUEUED, cluster="a100")
    EvalRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(hours=2))
    with override_settings(HEALTH_QUEUE_MAX_WAIT_S=3600):
        status, report = ready(client)
    assert status == 503 and list(failing(report)) == ["queue"]
    assert "cluster a100" in failing(report)["queue"]


def test_readiness_follows_each_clusters_heartbeat(start_cluster, client, settings):
    settings.HEALTH_CLUSTERS = ["default", "checks"]
    settings.HEALTH_CLUSTER_STALE_S = 4
    # an earlier test's cluster beat into the same cache: this test starts from none seen
    caches[settings.CLUSTER_HEARTBEAT_CACHE].delete_many([cluster_heartbeat_key(n) for n in ("default", "checks")])
    status, report = ready(client)
    assert status == 503 and failing(report) == {
        "cluster default": "no heartbeat seen",
        "cluster checks": "no heartbeat seen",
    }

    start_cluster("default", CLUSTER_HEARTBEAT_S="1")
    checks = start_cluster("checks", CLUSTER_HEARTBEAT_S="1")
    wait_for(lambda: ready(client)[0] == 200, 60, "both clusters' heartbeats")

    os.killpg(checks.pid, signal.SIGKILL)  # the checks cluster dies without a word
    checks.wait()
    status, report = wait_for(lambda: (r := ready(client))[0] == 503 and r, 30, "the checks cluster to go stale")
    assert list(failing(report)) == ["cluster checks"] and failing(report)["cluster checks"].startswith(
        "no heartbeat for"
    )


@pytest.mark.django_db
@override_settings(HEALTH_CLUSTERS=[])
def test_readiness_is_computed_at_most_once_in_its_cache_time(client, settings, django_assert_num_queries):
    settings.HEALTH_READY_CACHE_S = 60
    assert ready(client)[0] == 200
    with django_assert_num_queries(0), override_settings(HEALTH_MAX_DISK_PERCENT=0.001):
        assert ready(client)[0] == 200  # the answer of a moment ago
    settings.HEALTH_READY_CACHE_S = 0
    with override_settings(HEALTH_MAX_DISK_PERCENT=0.001):
        assert ready(client)[0] == 503
