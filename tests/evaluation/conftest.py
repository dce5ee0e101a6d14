import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO, database_url


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    """Start real django-q2 clusters (``manage.py qcluster``) on the test database:
    ``start_cluster(name, **env)``. Each logs to tmp_path/<name>-<n>.log; all are stopped at the end."""
    started = []

    def start(name: str = "default", **env) -> subprocess.Popen:
        log = open(tmp_path / f"{name}-{len(started)}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=REPO,
            env={
                **os.environ, "DATABASE_URL": database_url(), "PYTHONUNBUFFERED": "1",
                "EVAL_HEARTBEAT_S": "1", "Q_CLUSTER_NAME": name, **env,
            },  # fmt: skip
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
