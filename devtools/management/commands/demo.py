import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from devtools.tiny_model import build_tiny_model
from leaderboard.models import LeaderboardEntry

# Tiny random models whose weights differ (seeded), large enough (init_std) that their answers depend on the
# question: different scores, intervals, bands, and comparisons with disagreements.
DEMO_MODELS = [("demo-org/tiny-medical-llm", 1), ("demo-org/tiny-medical-llm-b", 2), ("demo-org/tiny-medical-llm-c", 3)]
DEMO_SUITE = "demo-medical"
INIT_STD = 0.5


class Command(BaseCommand):
    help = (
        "Build a few tiny models, evaluate them through a django-q2 cluster on the demo suite, and leave them ranked."
    )

    def handle(self, *args, **options):
        site = settings.SITE_URL.rstrip("/")  # SITE_URL, else the port `make run` serves (PORT)
        url = f"{site}/leaderboards/{DEMO_SUITE}/"
        waiting = []
        for model_id, seed in DEMO_MODELS:
            sha = build_tiny_model(model_id, hub_cache=Path(settings.HF_HOME) / "hub", seed=seed, init_std=INIT_STD)
            if LeaderboardEntry.objects.filter(suite__slug=DEMO_SUITE, model_id=model_id, commit_sha=sha).exists():
                self.stdout.write(f"{model_id} is already ranked")
            else:
                waiting.append((model_id, sha))
        if waiting:
            cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], start_new_session=True)
            try:
                for model_id, sha in waiting:
                    call_command("evaluate", model_id, "--revision", sha, "--suite", DEMO_SUITE, "--wait")
            finally:
                cluster.terminate()  # the cluster's main process stops its workers (SIGTERM to them all would not)
                try:
                    cluster.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(cluster.pid, signal.SIGKILL)
                    cluster.wait()
        first, second = DEMO_MODELS[0][0], DEMO_MODELS[1][0]
        self.stdout.write(
            f"{len(DEMO_MODELS)} tiny models are ranked: `make run`, then open {url} and compare two of them at "
            f"{site}/compare/?{urlencode({'suite': DEMO_SUITE, 'models': f'{first},{second}'})}"
        )
