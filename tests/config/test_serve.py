"""`manage.py serve` (what `make run` runs) in a terminal: gunicorn, a django-q2 cluster and the embedded
Postgres of its own DATA_DIR; the ^C a person types stops all of it within 30 s, and so does the supervisor's
death by SIGKILL, after which a new one serves on the same port."""

import contextlib
import os
import pty
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import wait_for

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(data_dir: Path) -> dict[psutil.Process, str]:
    """The live gunicorn, qcluster and postgres processes serving ``data_dir``, with their command lines."""
    found = {}
    for process in psutil.process_iter(["cmdline", "status"]):
        with contextlib.suppress(psutil.Error):
            cmdline = " ".join(process.info["cmdline"] or [])
            if process.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            ours = str(data_dir / "pg") in cmdline if "postgres" in cmdline else process.environ().get("DATA_DIR")
            started = ("postgres", "gunicorn", "qcluster", "devtools.supervisor")
            if any(name in cmdline for name in started) and ours in (True, str(data_dir)):
                found[process] = cmdline
    return found


def answer(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


@pytest.fixture(scope="module")
def site() -> tuple[Path, dict]:
    """A DATA_DIR set up as `make setup` does, and the environment `make run` runs with."""
    data_dir = Path(tempfile.mkdtemp(prefix="serve-test-"))
    data_dir.chmod(0o755)  # the embedded Postgres runs as its own user when we are root
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "SECRET_KEY", "DEBUG")}
    env.update(DATA_DIR=str(data_dir), PORT=str(free_port()), PYTHONUNBUFFERED="1", WEB_CONCURRENCY="2")
    env.update(HOME=str(data_dir / "home"))  # where gunicorn's control socket would be
    for command in (["migrate", "--noinput"], ["createcachetable"], ["collectstatic", "--noinput"]):
        setup = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=REPO, env=env, capture_output=True, text=True
        )
        assert setup.returncode == 0, setup.stderr
    yield data_dir, env
    for process in processes_of(data_dir):  # after a failure, leave nothing behind
        with contextlib.suppress(psutil.Error):
            process.kill()
    shutil.rmtree(data_dir, ignore_errors=True)


def test_ctrl_c_in_a_terminal_stops_the_server_the_cluster_and_the_database(site):
    data_dir, env = site
    port = env["PORT"]
    key = (data_dir / "secret_key").read_text()
    assert stat.S_IMODE((data_dir / "secret_key").stat().st_mode) == 0o600

    pid, terminal = pty.fork()  # the child: a session of its own, on the terminal, in its foreground group
    if pid == 0:
        os.chdir(REPO)
        os.execve(sys.executable, [sys.executable, "manage.py", "serve"], env)
    output = bytearray()

    def read():
        while True:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # the terminal closed: everything on it exited
                return
            if not chunk:
                return
            output.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    site = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: answer(f"{site}/about/") == 200 and b"running." in output, 120, "the site and the cluster")
        page = urllib.request.urlopen(f"{site}/about/", timeout=5)
        assert page.headers["Server"].startswith("gunicorn")
        # whitenoise, DEBUG off: the page names the stylesheet by its content's hash; served compressed, for good.
        href = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page.read().decode()).group(1)
        request = urllib.request.Request(site + href, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=5) as stylesheet:
            assert stylesheet.headers["Content-Encoding"] == "gzip"
            assert "immutable" in stylesheet.headers["Cache-Control"]
        assert [answer(f"{site}/no-such-page/") for _ in range(6)] == [404] * 6
        # /metrics adds up both gunicorn workers' counts (PROMETHEUS_MULTIPROC_DIR), beside the platform's values.
        metrics = urllib.request.urlopen(f"{site}/metrics", timeout=10).read().decode()
        assert 'django_http_responses_total_by_status_total{status="404"} 6.0' in metrics
        assert 'leaderboard_runs{cluster="default",status="QUEUED"} 0.0' in metrics
        running = " ".join(processes_of(data_dir).values())
        assert all(name in running for name in ("gunicorn", "qcluster", "postgres"))
        # No control socket in ~/.gunicorn/: by default one for every gunicorn of the user on the host.
        assert not (data_dir / "home" / ".gunicorn").exists()

        os.write(terminal, b"\x03")  # Ctrl-C
        stopped = time.monotonic()
        wait_for(lambda: not processes_of(data_dir) and os.waitpid(pid, os.WNOHANG)[0] == pid, 30, "all to stop")
        assert time.monotonic() - stopped < 30
        assert (data_dir / "secret_key").read_text() == key  # generated once, reused
    except AssertionError as failure:
        left = list(processes_of(data_dir).values())
        raise AssertionError(f"{failure}; left: {left}; the terminal:\n{output.decode()}") from None
    finally:  # after a failure, leave nothing behind
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == 0:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        os.close(terminal)


def test_the_supervisors_death_takes_everything_it_started_and_a_new_one_serves_on_the_same_port(site, tmp_path):
    data_dir, env = site
    site_url = f"http://127.0.0.1:{env['PORT']}"

    def serve(log_name: str) -> subprocess.Popen:
        log = open(tmp_path / log_name, "wb")  # noqa: SIM115  the child writes it; read on failure
        return subprocess.Popen(
            [sys.executable, "manage.py", "serve"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT
        )

    def logs() -> str:
        return "\n".join(path.read_text(errors="replace") for path in sorted(tmp_path.glob("*.log")))

    supervisor = serve("first.log")
    try:
        wait_for(lambda: answer(f"{site_url}/about/") == 200, 120, "the site")
        wait_for(lambda: b"running." in (tmp_path / "first.log").read_bytes(), 60, "the clusters")
        running = " ".join(processes_of(data_dir).values())
        assert all(name in running for name in ("gunicorn", "qcluster", "postgres", "devtools.supervisor"))

        supervisor.kill()  # kill -9: no handler runs, nothing is stopped by the supervisor itself
        supervisor.wait()
        killed = time.monotonic()
        wait_for(lambda: not processes_of(data_dir), 30, "everything the supervisor started to stop")
        assert time.monotonic() - killed < 30
        assert answer(f"{site_url}/about/") is None

        supervisor = serve("second.log")  # `make run` again, on the same port, the same data
        wait_for(lambda: answer(f"{site_url}/about/") == 200, 120, "the site to serve again")
        supervisor.send_signal(signal.SIGINT)  # and it stops cleanly
        assert supervisor.wait(timeout=30) == 0
        wait_for(lambda: not processes_of(data_dir), 30, "all to stop")
    except AssertionError as failure:
        left = list(processes_of(data_dir).values())
        raise AssertionError(f"{failure}; left: {left}; the logs:\n{logs()}") from None
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
