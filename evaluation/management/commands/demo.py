import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from evaluation.tiny_model import build_tiny_model
from leaderboard.models import LeaderboardEntry

DEMO_MODEL = "demo-org/tiny-medical-llm"
DEMO_SUITE = "demo-medical"


class Command(BaseCommand):
    help = "Build a tiny model, evaluate it through a django-q2 cluster on the demo suite, and leave it ranked."

    def handle(self, *args, **options):
        sha = build_tiny_model(DEMO_MODEL, hub_cache=Path(settings.HF_HOME) / "hub")
        url = f"http://127.0.0.1:{os.environ.get('PORT', '8000')}/leaderboards/{DEMO_SUITE}/"
        if LeaderboardEntry.objects.filter(suite__slug=DEMO_SUITE, model_id=DEMO_MODEL, commit_sha=sha).exists():
            self.stdout.write(f"{DEMO_MODEL} is already ranked: {url}")
            return
        cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], start_new_session=True)
        try:
            call_command("evaluate", DEMO_MODEL, "--revision", sha, "--suite", DEMO_SUITE, "--wait")
        finally:
            cluster.terminate()  # the cluster's main process stops its workers (SIGTERM to them all would not)
            try:
                cluster.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(cluster.pid, signal.SIGKILL)
                cluster.wait()
        self.stdout.write(f"{DEMO_MODEL} is ranked: `make run`, then open {url}")
