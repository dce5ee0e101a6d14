"""REDIS_URL: a real redis-server shared by three gunicorn workers (one rate limit, one page cache) and, with
Q_BROKER=redis, by the site and a cluster as django-q2's queue."""

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.conf import settings
from django_q.models import OrmQ

from evaluation.models import EvalRun, RunStatus
from tests.config.test_serve import answer, free_port
from tests.conftest import REPO, database_url, wait_for


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A redis-server of this test module's own, in memory only."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    wait_for(lambda: _pings(client), 20, "redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait()


def _pings(client) -> bool:
    try:
        return client.ping()
    except redis.ConnectionError:
        return False


def site_env(**extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "SECRET_KEY": settings.SECRET_KEY,
        "DEBUG": "1",  # static files by their own names: no collectstatic for this test
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def requests_answered(url: str, n: int) -> list[int]:
    """``n`` requests at once (each its own connection: three sync workers share them out)."""

    def get(_):
        return answer(url)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(get, range(n)))


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """``gunicorn(**env)``: the site through gunicorn with three workers on the test database; its URL."""
    started = []

    def start(**env) -> str:
        port = free_port()
        log = open(tmp_path / f"gunicorn-{len(started)}.log", "wb")  # noqa: SIM115  closed at teardown
        process = subprocess.Popen(
            # --preload: the three workers are forked ready, none still loading the site when the requests come
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--preload",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "3",
            ],
            cwd=REPO,
            env=site_env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: answer(f"{url}/health/live/") == 200, 60, "gunicorn")
        return url

    yield start
    for process, log in started:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_rate_limit_holds_across_three_workers_with_redis_and_not_without(gunicorn, redis_url, suites):
    limit = {"RATELIMIT_PAGES_ANON": "5/h"}  # an hour's window: the requests never straddle two
    # Each worker counting apart (the laptop default): three workers let through more than the limit.
    apart = requests_answered(f"{gunicorn(**limit)}/about/", 15)
    assert apart.count(200) > 5 and set(apart) <= {200, 429}, apart

    shared = gunicorn(REDIS_URL=redis_url, **limit)
    # The rendered pages are kept in Redis, for every worker and host.
    assert answer(f"{shared}/leaderboards/demo-medical/") == 200
    assert redis.Redis.from_url(redis_url).keys("ranking:*"), "no rendered page in Redis"
    # One limit for the three workers: that page, then 4 of 15 requests at once.
    answered = requests_answered(f"{shared}/about/", 15)
    assert sorted(answered) == [200] * 4 + [429] * 11, answered


def test_q_broker_redis_carries_a_run_from_the_site_to_a_cluster(start_cluster, redis_url, tiny_model, suites):
    env = {"REDIS_URL": redis_url, "Q_BROKER": "redis", "CLUSTER_HEARTBEAT_S": "1"}
    start_cluster("default", **env)
    model_id, _ = tiny_model
    evaluate = subprocess.run(
        [sys.executable, "manage.py", "evaluate", model_id, "--suite", "demo-medical", "--wait"],
        cwd=REPO,
        env=site_env(**env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert evaluate.returncode == 0, evaluate.stdout + evaluate.stderr
    assert EvalRun.objects.get(submission__model_id=model_id).status == RunStatus.FINISHED
    assert not OrmQ.objects.exists()  # the queue was Redis, not Postgres
    client = redis.Redis.from_url(redis_url)
    assert client.keys("default:*cluster-heartbeat:default")  # the cluster's heartbeat, in the shared cache
