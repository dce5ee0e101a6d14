import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Serve the site with a django-q2 cluster beside it; Ctrl-C stops both, and the embedded database."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, port, **options):
        # Ctrl-C, or a plain kill of this process, stops everything (even where a shell started us
        # with SIGINT ignored, as it does for background jobs).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        manage = [sys.executable, "manage.py"]
        children = [
            subprocess.Popen(command, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
            for command in ([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], [*manage, "qcluster"])
        ]
        self.stdout.write(f"Serving http://127.0.0.1:{port}/ with a django-q2 cluster; Ctrl-C stops all of it.")
        try:
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGINT)
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
        # Exiting drops this process's handle on the embedded Postgres, the last one: it stops.
        failed = [child.args[2] for child in children if child.returncode not in (0, -signal.SIGINT)]
        if failed:
            raise CommandError(f"{', '.join(failed)} stopped unexpectedly")
