"""What bench/ranking.py and bench/samples.py share: a seeded bench database of its own, gunicorn with
DEBUG off in front of it, and a closed-loop load of N concurrent clients (wrk) that times every request.

The bench database is an embedded Postgres in DATA_DIR=.data/bench, apart from the development
database (.data/pg) and from every test database.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENV = {
    **os.environ,
    "DATA_DIR": str(REPO / ".data" / "bench"),
    "DEBUG": "0",
    "SECRET_KEY": "bench-only",
    "ALLOWED_HOSTS": "127.0.0.1",
    "LOG_LEVEL": "ERROR",  # not a line per 404 of the baseline
    "HF_HUB_OFFLINE": "1",
    # Every client is 127.0.0.1: counted by the web rate limit like any visitor, never refused by it.
    "RATELIMIT_PAGES_ANON": "1000000/m",
}


def manage(*args: str) -> str:
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=REPO, env=ENV, check=True, capture_output=True, text=True
    ).stdout


def shell(code: str) -> str:
    """Run Python in a Django shell on the bench database; returns what it prints."""
    return manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1]


def seed(models: int, suite: str, samples: int, sample_models: int) -> None:
    manage("migrate", "--noinput")
    manage("createcachetable")
    manage("collectstatic", "--noinput")  # whitenoise serves them, as in production
    manage("load_suites")
    ranked = shell(
        "from rankings.models import LeaderboardEntry as E; from evaluation.models import SampleLog as S; "
        f"print(E.objects.filter(suite__slug='{suite}', model_id__startswith='synthetic-').count(), S.objects.count())"
    )
    n_models, n_samples = map(int, ranked.split())
    wanted_samples = (
        samples
        * sample_models
        * int(shell(f"from catalogue.models import Suite; print(Suite.objects.get(slug='{suite}').tasks.count())"))
    )
    if n_models == models and n_samples >= wanted_samples:
        print(f"bench database already holds {n_models} synthetic models and {n_samples} samples")
        return
    started = time.monotonic()
    print(
        manage(
            "seed_synthetic",
            "--models",
            str(models),
            "--suite",
            suite,
            "--samples",
            str(samples),
            "--sample-models",
            str(sample_models),
        ).strip()
    )
    # Seeding writes each ranking row several times (the row, then its ranks, then its band): compacted, as a
    # long-lived table that autovacuum keeps is, rather than three times its size
    manage(
        "shell",
        "-c",
        "from django.db import connection; c = connection.cursor(); "
        "c.execute('VACUUM FULL leaderboard_leaderboardentry'); c.execute('VACUUM ANALYZE')",
    )
    print(f"seeded in {time.monotonic() - started:.0f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, workers: int, **env: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gunicorn",
                "config.wsgi",
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--backlog",
                "256",
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            env={**ENV, **env},
            start_new_session=True,
        )

    def __enter__(self):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/about/", timeout=5).read()
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


# wrk's script: each request a random path of PATHS; at the end, the figures on one line for load() to read.
WRK_SCRIPT = """
paths = {%s}
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %%d %%d %%d %%d %%.1f %%.1f %%d\\n", summary.requests, e.connect + e.read + e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(99), summary.duration))
end
"""


def load(base: str, paths: list[str], *, clients: int, seconds: float, statuses_ok: bool = False) -> dict:
    """Closed loop through wrk (Debian's, a load generator outside Python, so the client's own cost stays out of
    the figures): ``clients`` connections each request a random path of ``paths`` again and again. A non-2xx/3xx
    answer fails the measure unless ``statuses_ok`` (the 404 baseline)."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is missing: apt-get install -y wrk (see .ci/run)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % ", ".join(json.dumps(path) for path in paths))
    try:
        out = subprocess.run(
            [
                "wrk",
                f"--threads={min(clients, 2)}",
                f"--connections={clients}",
                f"--duration={max(1, round(seconds))}s",
                "--timeout=30s",
                f"--script={script.name}",
                base,
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        os.unlink(script.name)
    line = next(line for line in out.splitlines() if line.startswith("WRK "))
    requests, socket_errors, bad_statuses, timeouts, median_us, p99_us, duration_us = map(float, line.split()[1:])
    if socket_errors or timeouts or (bad_statuses and not statuses_ok):
        raise RuntimeError(
            f"wrk: {socket_errors:.0f} socket errors, {timeouts:.0f} timeouts, {bad_statuses:.0f} bad statuses"
        )
    return {
        "requests": int(requests),
        "median_ms": median_us / 1000,
        "p99_ms": p99_us / 1000,
        "rps": requests / (duration_us / 1e6),
    }


def page_size(url: str) -> int:
    with urllib.request.urlopen(url, timeout=30) as response:
        return len(response.read())


def report(name: str, figures: dict, baseline: dict) -> None:
    print(
        f"{name:<34} median {figures['median_ms']:7.1f} ms ({figures['median_ms'] / baseline['median_ms']:5.1f}x)"
        f"  p99 {figures['p99_ms']:7.1f} ms ({figures['p99_ms'] / baseline['p99_ms']:5.1f}x)"
        f"  {figures['rps']:7.1f} req/s ({figures['rps'] / baseline['rps']:4.2f}x)  [{figures['requests']} requests]"
    )


def bench_arguments(description: str) -> argparse.Namespace:
    """The options both page benchmarks take."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--samples-per-task", type=int, default=1112)
    parser.add_argument("--sample-models", type=int, default=100)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=3)
    return parser.parse_args()
