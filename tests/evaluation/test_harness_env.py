"""The harness child sees an allow-list of the worker's environment: never the database, the secret key, mail
or hub credentials."""

import contextlib
import threading

import psutil

from core.sandbox import sandbox_env
from pipeline.delivery import run_queue
from pipeline.jobs import delivery_handle
from tests.evaluation.helpers import harness_processes, queued_submission

SECRETS = {
    "DATABASE_URL": "postgres://leaderboard:db-password@db.example.org/leaderboard",
    "SECRET_KEY": "the-site-secret-key",
    "EMAIL_HOST_PASSWORD": "the-mail-password",
    "EMAIL_HOST_USER": "mailer",
    "HF_TOKEN": "hf_the-hub-token",
}


def test_the_harness_child_cannot_see_the_database_url_or_any_secret(tiny_model, suites, monkeypatch):
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert not set(SECRETS) & set(sandbox_env())

    model_id, sha = tiny_model
    run = run_queue(queued_submission(model_id, sha, suites["demo-medical"]))
    seen = []

    def watch():  # the running child's own environment, as the kernel has it
        while not seen and not done.is_set():
            for process in harness_processes(run):
                with contextlib.suppress(psutil.Error):
                    seen.append(process.environ())
            done.wait(0.05)

    done = threading.Event()
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        assert delivery_handle(run.pk) == "finished"
    finally:
        done.set()
        watcher.join()
    assert seen, "the harness child was never seen running"
    child = seen[0]
    assert not set(SECRETS) & set(child)
    assert not any(value in child.values() for value in SECRETS.values())
    assert child["OMP_NUM_THREADS"] == "1" and child["LC_ALL"] == "C.UTF-8" and child["HF_HOME"]
