import contextlib
import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

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
                "config.wsgi",
                "--config",
                str(settings.BASE_DIR / "gunicorn.conf.py"),
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
        environments = {"checks qcluster": {"Q_CLUSTER_NAME": settings.CHECKS_CLUSTER}}
        # Each in a session of its own: the terminal's Ctrl-C reaches this process only, which stops them in
        # order (a SIGINT to every process of a cluster at once leaves some of them behind).
        children = {
            name: subprocess.Popen(command, start_new_session=True, env={**os.environ, **environments.get(name, {})})
            for name, command in commands.items()
        }
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
