"""``python manage.py make_tiny_model ORG/NAME [ORG/NAME ...]``

Builds tiny random causal LMs (see :mod:`devtools.tiny_model`) into the Hugging Face
hub cache ``$HF_HOME/hub`` and prints one line per model containing only its commit
sha, so the last line of output is the last model's sha.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.tiny_model import build_tiny_model
from submissions.errors import SubmissionError
from submissions.hub import check_model_id


def _hf_home() -> Path:
    hf_home = getattr(settings, "HF_HOME", None) or os.environ.get("HF_HOME")
    if not hf_home:
        raise CommandError("HF_HOME is not configured: set settings.HF_HOME or the HF_HOME environment variable.")
    return Path(hf_home)


class Command(BaseCommand):
    help = (
        "Build tiny random Llama models with a BPE tokenizer into the Hugging Face hub "
        "cache ($HF_HOME/hub), exactly as if ORG/NAME had been downloaded. Prints one "
        "commit sha per model."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "repo_ids",
            nargs="+",
            metavar="ORG/NAME",
            help="Model id(s) as the submit form accepts them: organisation/name.",
        )

    def handle(self, *args, **options):
        repo_ids = options["repo_ids"]
        for repo_id in repo_ids:  # validate all before building any
            try:
                check_model_id(repo_id)
            except SubmissionError as exc:
                raise CommandError(f"{repo_id!r}: {exc.message}") from None

        hub_cache = _hf_home() / "hub"
        for repo_id in repo_ids:
            sha = build_tiny_model(repo_id, hub_cache=hub_cache)
            self.stdout.write(sha)
