"""Issue 22, finding 4: code running in the harness child or in the checks child (a model's files, a parser's bug)
reaches nothing of the worker's: not the secret key (environment, /proc, the key file), not the database's socket,
not a port listening on localhost, and it writes nowhere but its run's directory. The probe
(tests/security/sandbox_probe.py) runs in each child's place, spawned exactly as the child is."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from catalogue.models import Suite
from evaluation.services import run_work_dir
from evaluation.worker import HARNESS, PREFETCH, child_process, hub_cache
from submissions.checks import checks_process
from tests.factories import EvalRunFactory

pytestmark = pytest.mark.django_db
PROBE = "tests.security.sandbox_probe"
SECRETS = {"HF_TOKEN": "hf_probe_secret_token", "EMAIL_HOST_PASSWORD": "probe-smtp-password"}


@pytest.fixture
def worker_secrets(monkeypatch):
    """The worker's environment as on a GPU host: the secret key, the hub token and the mail password in it."""
    monkeypatch.setenv("SECRET_KEY", settings.SECRET_KEY)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return [settings.SECRET_KEY, *SECRETS.values()]


@pytest.fixture(autouse=True)
def no_probe_file_yet():
    """What a probe run without the sandbox (SANDBOX=off) left."""
    for folder in ("/tmp", settings.BASE_DIR, settings.DATA_DIR, hub_cache()):
        (Path(folder) / "sandbox-probe").unlink(missing_ok=True)


@pytest.fixture
def port():
    """A port listening on localhost, as a database or a cache would."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def what_to_try(port: int, work_dir: Path | None = None) -> dict:
    db = connection.settings_dict
    database_socket = f"{db['HOST']}/.s.PGSQL.{db.get('PORT') or 5432}"
    key_file = Path(settings.DATA_DIR) / "secret_key"
    # The probe would find what it looks for, were it not sandboxed: this process reaches all of it.
    assert key_file.read_text().strip() == settings.SECRET_KEY
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(database_socket)
    folders = [settings.BASE_DIR, settings.DATA_DIR, hub_cache(), os.path.expanduser("~"), "/tmp"]
    return {
        "parent_pid": os.getpid(),
        "read": [str(key_file), f"/proc/{os.getpid()}/environ"],
        "database_socket": database_socket,
        "port": port,
        "write": [str(f) for f in folders + ([work_dir] if work_dir else [])],
    }


def assert_contained(done: subprocess.CompletedProcess, secrets: list[str], own_dir: Path | None = None) -> None:
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    report = json.loads(done.stdout.decode().splitlines()[-1])
    text = json.dumps(report)
    for secret in secrets:
        assert secret not in text  # not in its environment, nor in any /proc/<pid>/environ it can see
    assert "SECRET_KEY" not in report["environ"] and "DATABASE_URL" not in report["environ"]
    assert all(content is None for content in report["files"].values()), report["files"].keys()
    assert report["sockets"] == {"database socket": False, "localhost port": False}
    # /tmp is the sandbox's own (gone with it); the run's directory is the one place written on the host.
    assert report["wrote"] == ["/tmp", *([str(own_dir)] if own_dir else [])]
    assert not Path("/tmp/sandbox-probe").exists()
    for folder in (settings.BASE_DIR, settings.DATA_DIR, hub_cache()):
        assert not (Path(folder) / "sandbox-probe").exists()


def test_the_harness_child_reaches_nothing_but_its_run(worker_secrets, port):
    run = EvalRunFactory()
    work_dir = run_work_dir(run)
    work_dir.mkdir(parents=True, exist_ok=True)
    (work_dir / "spec.json").write_text(json.dumps(what_to_try(port, work_dir)))
    done = subprocess.run(**child_process(PROBE, run, work_dir), capture_output=True, timeout=120)
    assert_contained(done, worker_secrets, own_dir=work_dir)
    assert (work_dir / "sandbox-probe").exists()
    assert child_process(HARNESS, run, work_dir)["args"][0] == "bwrap"  # the harness itself runs so


def test_a_suites_task_packs_outside_the_code_are_read_only_in_the_harness_child(tmp_path, port):
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "task.yaml").write_text("task: outside\n")
    run = EvalRunFactory(submission__suite=Suite.objects.create(slug="outside", task_paths=[str(pack)]))
    work_dir = run_work_dir(run)
    work_dir.mkdir(parents=True, exist_ok=True)
    asked = {"parent_pid": 1, "read": [str(pack / "task.yaml")], "database_socket": "/nowhere", "port": port}
    (work_dir / "spec.json").write_text(json.dumps({**asked, "write": [str(pack)]}))
    done = subprocess.run(**child_process(PROBE, run, work_dir), capture_output=True, timeout=120)
    report = json.loads(done.stdout.decode().splitlines()[-1])
    assert report["files"] == {str(pack / "task.yaml"): "task: outside\n"} and report["wrote"] == []


def test_the_checks_child_reaches_nothing(worker_secrets, port):
    done = subprocess.run(
        **checks_process(json.dumps(what_to_try(port)), module=PROBE), capture_output=True, timeout=60
    )
    assert_contained(done, worker_secrets)
    assert checks_process("{}")["args"][0] == "bwrap"


def test_the_datasets_are_fetched_first_as_a_stage_of_their_own(suites, tmp_path):
    """The harness child has no network: the run's datasets stage prepares the suite's datasets before it."""
    suite = suites["demo-medical"]
    tasks = [{"task": t.task, "num_fewshot": t.num_fewshot} for t in suite.tasks.all()]
    spec = {
        "tasks": tasks,
        "task_paths": [str(settings.BASE_DIR / p) for p in suite.task_paths],
        "progress_path": str(tmp_path / "progress.json"),
        "error_path": str(tmp_path / "error.json"),
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    env = {**os.environ, "HF_DATASETS_CACHE": str(tmp_path / "shared"), "PYTHONPATH": str(settings.BASE_DIR)}
    done = subprocess.run(
        [sys.executable, "-m", PREFETCH, str(tmp_path / "spec.json"), str(tmp_path / "run")],
        cwd=spec["task_paths"][0],
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    progress = json.loads((tmp_path / "progress.json").read_text())
    assert progress["stage"] == f"fetching the datasets: {len(tasks)} of {len(tasks)} tasks"
    # Prepared in the worker's datasets cache, and copied whole into the run's own.
    shared = {p.relative_to(tmp_path / "shared") for p in (tmp_path / "shared").rglob("*.arrow")}
    assert len(shared) >= len(tasks)
    assert shared == {p.relative_to(tmp_path / "run") for p in (tmp_path / "run").rglob("*.arrow")}


def test_a_worker_where_bubblewrap_cannot_run_refuses_to_start_unless_told():
    env = {**os.environ, "PATH": "/nonexistent"}  # no bwrap to be found
    refused = subprocess.run(
        [sys.executable, "manage.py", "qcluster"], cwd=settings.BASE_DIR, env=env, capture_output=True, timeout=60
    )
    assert refused.returncode != 0
    assert "This worker refuses to start: bubblewrap (bwrap) is not installed" in refused.stderr.decode()
