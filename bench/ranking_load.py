"""What bench/ranking.py and bench/samples.py share: a seeded bench database of its own, gunicorn with
DEBUG off in front of it, and a closed-loop load of N concurrent clients that times every request.

The bench database is an embedded Postgres in DATA_DIR=.data/bench, apart from the development
database (.data/pg) and from every test database.
"""

import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from multiprocessing import Process, Queue
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ENV = {
    **os.environ,
    "DATA_DIR": str(REPO / ".data" / "bench"),
    "DEBUG": "0",
    "SECRET_KEY": "bench-only",
    "ALLOWED_HOSTS": "127.0.0.1",
    "LOG_LEVEL": "WARNING",
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
        "from leaderboard.models import LeaderboardEntry as E; from evaluation.models import SampleLog as S; "
        f"print(E.objects.filter(suite__slug='{suite}', model_id__startswith='synthetic-').count(), S.objects.count())"
    )
    n_models, n_samples = map(int, ranked.split())
    wanted_samples = (
        samples
        * sample_models
        * int(shell(f"from evaluation.models import Suite; print(Suite.objects.get(slug='{suite}').tasks.count())"))
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


def _client_process(base: str, paths: list[str], clients: int, seconds: float, out: Queue) -> None:
    latencies, errors = [], []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(seed):
        rng = random.Random(seed)
        mine, bad = [], []
        while time.monotonic() < deadline:
            path = rng.choice(paths)
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    response.read()
                    status = response.status
            except urllib.error.HTTPError as exc:
                exc.read()
                status = exc.code
            except OSError as exc:
                status = str(exc)
            elapsed = time.perf_counter() - started
            if status in (200, 404):
                mine.append(elapsed)
            else:
                bad.append(f"{path}: {status}")
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    out.put((latencies, errors))


def load(base: str, paths: list[str], *, clients: int, seconds: float) -> dict:
    """Closed loop: ``clients`` concurrent clients each request a random path of ``paths`` again and again."""
    out = Queue()
    process = Process(target=_client_process, args=(base, paths, clients, seconds, out))
    started = time.monotonic()
    process.start()
    latencies, errors = out.get()
    process.join()
    wall = time.monotonic() - started
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[:3]}")
    latencies.sort()
    return {
        "requests": len(latencies),
        "median_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
        "rps": len(latencies) / wall,
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
