import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.supervisor import die_with_parent

# Seconds the web server and the cluster get to stop before their process groups are killed: all of it,
# the embedded database included, is down well within 30 s of a Ctrl-C.
STOP_TIMEOUT_S = 15


class Command(BaseCommand):
    help = (
        "Serve the site through gunicorn (whitenoise serving the static files) with a django-q2 cluster beside "
        "it, as a production host runs them; Ctrl-C stops both, and the embedded database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, port, **options):
        # Ctrl-C, or a plain kill of this process, stops everything (even where a shell started us
        # with SIGINT ignored, as it does for background jobs).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        commands = {
            # Workers: gunicorn reads WEB_CONCURRENCY (default 1).
            "gunicorn": [
                sys.executable,
                "-m",
                "gunicorn",
                "--config=python:config.gunicorn",
                "config.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--graceful-timeout",
                str(STOP_TIMEOUT_S - 5),
                "--access-logfile",
                "-",
            ],
            "qcluster": [sys.executable, "manage.py", "qcluster"],
            "checks qcluster": [sys.executable, "manage.py", "qcluster"],  # the hub checks' CPU queue
        }
        # /metrics adds up every gunicorn worker's request counts, kept in files of a folder emptied on each start.
        metrics_dir = Path(settings.DATA_DIR) / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        environments = {
            "gunicorn": {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)},
            "checks qcluster": {"Q_CLUSTER_NAME": settings.CHECKS_CLUSTER},
        }
        # Each in a session of its own: the terminal's Ctrl-C reaches this process only, which stops them in
        # order (a SIGINT to every process of a cluster at once leaves some of them behind). Each gets a SIGTERM
        # from the kernel if this process dies, and a watchdog stops the rest (devtools.supervisor).
        children = {
            # PORT: the port actually served, which links in mails and hints use where SITE_URL is not set
            name: subprocess.Popen(
                command,
                start_new_session=True,
                preexec_fn=die_with_parent,
                env={**os.environ, "PORT": str(port), **environments.get(name, {})},
            )
            for name, command in commands.items()
        }
        watchdog = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.supervisor",
                f"--parent={os.getpid()}",
                f"--stop-timeout={STOP_TIMEOUT_S}",
                "--children",
                *[str(child.pid) for child in children.values()],
                *([] if os.environ.get("DATABASE_URL") else [f"--pgdata={settings.DATA_DIR / 'pg'}"]),
            ],
            start_new_session=True,
        )
        self.stdout.write(
            f"Serving http://127.0.0.1:{port}/ with django-q2's evaluation and checks clusters; Ctrl-C stops all of it."
        )
        died = []
        try:
            while not died:
                time.sleep(0.5)
                died = [name for name, child in children.items() if child.poll() is not None]
        except KeyboardInterrupt:
            pass
        finally:
            watchdog.terminate()  # this process stops them itself
            watchdog.wait()
            self.stop(children.values())
        # Exiting drops this process's handle on the embedded Postgres, the last one: it stops.
        if died:
            raise CommandError(f"{', '.join(died)} stopped unexpectedly; the rest was stopped")

    @staticmethod
    def stop(children) -> None:
        """SIGTERM (gunicorn: finish the requests in hand; django-q2: stop the cluster), then SIGKILL to whatever
        of their process groups is left at the deadline."""
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
