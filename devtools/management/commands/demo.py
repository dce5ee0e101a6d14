import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from devtools.tiny_chat import build_tiny_chat_model
from rankings.models import LeaderboardEntry

# Tiny chat models (devtools.tiny_chat), each biased to another option: different scores on both suites,
# intervals, bands, comparisons, and a format gap on each model page. The first one reasons in a <think> block.
DEMO_MODELS = [
    ("demo-org/tiny-medical-llm", 1, "</think>"),
    ("demo-org/tiny-medical-llm-b", 2, ""),
    ("demo-org/tiny-medical-llm-c", 3, ""),
]
DEMO_SUITE = "demo-medical"
# The suite, and the options it is run with: log-likelihood without the chat template, generative through it.
DEMO_SUITES = [(DEMO_SUITE, False), ("demo-medical-generative", True)]


class Command(BaseCommand):
    help = (
        "Build a few tiny chat models, evaluate them through a django-q2 cluster on both demo suites (log-likelihood "
        "and generative), and leave them ranked."
    )

    def handle(self, *args, **options):
        site = settings.SITE_URL.rstrip("/")  # SITE_URL, else the port `make run` serves (PORT)
        url = f"{site}/leaderboards/{DEMO_SUITE}/"
        waiting = []
        for model_id, seed, think_end_token in DEMO_MODELS:
            sha = build_tiny_chat_model(
                model_id,
                hub_cache=Path(settings.HF_HOME) / "hub",
                seed=seed,
                favourite=seed,
                thinking=bool(think_end_token),
            )
            for suite, chat in DEMO_SUITES:
                if LeaderboardEntry.objects.filter(suite__slug=suite, model_id=model_id, commit_sha=sha).exists():
                    self.stdout.write(f"{model_id} is already ranked on {suite}")
                    continue
                arguments = [model_id, "--revision", sha, "--suite", suite, "--wait"]
                if chat:
                    arguments.append("--chat-template")
                    if think_end_token:
                        arguments += ["--think-end-token", think_end_token]
                waiting.append(arguments)
        if waiting:
            cluster = subprocess.Popen([sys.executable, "manage.py", "qcluster"], start_new_session=True)
            try:
                for arguments in waiting:
                    call_command("evaluate", *arguments)
            finally:
                cluster.terminate()  # the cluster's main process stops its workers (SIGTERM to them all would not)
                try:
                    cluster.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(cluster.pid, signal.SIGKILL)
                    cluster.wait()
        first, second = DEMO_MODELS[0][0], DEMO_MODELS[1][0]
        self.stdout.write(
            f"{len(DEMO_MODELS)} tiny models are ranked on both demo suites: `make run`, then open {url}, compare two "
            f"of them at {site}/compare/?{urlencode({'suite': DEMO_SUITE, 'models': f'{first},{second}'})}"
            f" and see each one's format gap at {site}/models/{first}/"
        )
