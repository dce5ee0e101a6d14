import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.test import override_settings

from catalogue.services import suites_load_all
from devtools.tiny_chat import build_tiny_chat_model
from devtools.tiny_model import build_tiny_model

REPO = Path(__file__).resolve().parent.parent
TINY_MODEL = "test-org/tiny-medical-llm"
TINY_CHAT_MODEL = "test-org/tiny-chat-llm"


@pytest.fixture(scope="session", autouse=True)
def static_files(tmp_path_factory):
    """Static files as they are, from the apps' folders, under their own names: the test client and the live
    server (which serves them itself) need no collectstatic. The production way, whitenoise's manifest of
    hashed names that `make setup` collects, is tested through gunicorn in tests/config/test_serve.py."""
    storage = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        STORAGES={**settings.STORAGES, "staticfiles": storage}, STATIC_ROOT=tmp_path_factory.mktemp("static")
    ):
        yield


@pytest.fixture(autouse=True)
def rate_limit_counts_reset():
    """Each test starts with no web request counted against the rate limits (kept in each process's memory)."""
    caches["ratelimit"].clear()


@pytest.fixture(scope="session")
def hub_cache() -> Path:
    return Path(settings.HF_HOME) / "hub"


@pytest.fixture(scope="session")
def tiny_model(hub_cache) -> tuple[str, str]:
    """(repo id, commit sha) of a tiny random Llama in the local hub cache."""
    return TINY_MODEL, build_tiny_model(TINY_MODEL, hub_cache=hub_cache)


@pytest.fixture(scope="session")
def tiny_chat_model(hub_cache) -> tuple[str, str]:
    """(repo id, commit sha) of a tiny chat model that thinks in a <think> block, then answers (devtools.tiny_chat)."""
    return TINY_CHAT_MODEL, build_tiny_chat_model(TINY_CHAT_MODEL, hub_cache=hub_cache, favourite=1, thinking=True)


@pytest.fixture
def suites(db):
    return {suite.slug: suite for suite in suites_load_all()}


@pytest.fixture
def demo(suites):
    return suites["demo-medical"]


def database_url() -> str:
    """The test database, as a URL another process (a cluster) can connect with."""
    db = connection.settings_dict
    host = quote(db["HOST"], safe="")
    return f"postgres://{db['USER']}:{db.get('PASSWORD') or ''}@{host}:{db.get('PORT') or ''}/{db['NAME']}"


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    """Start real django-q2 clusters (``manage.py qcluster``) on the test database:
    ``start_cluster(name, **env)``. Each logs to tmp_path/<name>-<n>.log; all are stopped at the end."""
    started = []

    def start(name: str = "default", **env) -> subprocess.Popen:
        log = open(tmp_path / f"{name}-{len(started)}.log", "wb")  # noqa: SIM115  closed at teardown
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env={
                **os.environ,
                "DATABASE_URL": database_url(),
                "SECRET_KEY": settings.SECRET_KEY,
                "PYTHONUNBUFFERED": "1",
                "EVAL_HEARTBEAT_S": "1",
                "Q_CLUSTER_NAME": name,
                **env,
            },
            start_new_session=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((process, log))
        return process

    yield start
    for process, log in started:
        if process.poll() is None:
            process.terminate()  # the main process stops the cluster's own (a SIGTERM to its group would kill its guard)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def in_parallel(count: int, work) -> list:
    """work(i) for i in 0..count-1, each in its own thread, all released at once; what each returned or raised."""
    barrier = threading.Barrier(count)
    outcomes = [None] * count

    def run(i):
        try:
            barrier.wait()
            outcomes[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - the test looks at every outcome
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def queued_tasks_run(cluster: str) -> int:
    """Run what async_task queued for ``cluster`` (django-q2's database broker) here and now, as that cluster's
    worker would; returns how many ran."""
    from django.utils.module_loading import import_string
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage

    ran = 0
    for queued in OrmQ.objects.filter(key=cluster).order_by("id"):
        task = SignedPackage.loads(queued.payload)
        import_string(task["func"])(*task["args"], **task["kwargs"])
        queued.delete()
        ran += 1
    return ran


def pytest_collection_modifyitems(config, items):
    """The browser tests last: Playwright's sync API can leave an event loop in the main thread, under which
    async_to_sync (django-health-check's checks) refuses to run."""
    items.sort(key=lambda item: "tests/e2e/" in str(item.path).replace("\\", "/"))
