"""``python manage.py make_tiny_model ORG/NAME [ORG/NAME ...]``

Builds tiny random causal LMs (see :mod:`devtools.tiny_model`) into the Hugging Face
hub cache ``$HF_HOME/hub`` and prints one line per model containing only its commit
sha, so the last line of output is the last model's sha. ``--chat`` builds tiny chat models that answer the
generative tasks (see :mod:`devtools.tiny_chat`); ``--thinking`` makes them reason in a ``<think>`` block.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.tiny_chat import build_tiny_chat_model
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
        parser.add_argument(
            "--chat",
            action="store_true",
            help="A chat model (chat template, trained a few steps) that answers the generative tasks",
        )
        parser.add_argument(
            "--thinking", action="store_true", help="With --chat: it thinks in a <think> block before answering"
        )
        parser.add_argument(
            "--favourite", type=int, default=0, choices=range(4), help="With --chat: the option (0-3) it always picks"
        )

    def handle(self, *args, **options):
        repo_ids = options["repo_ids"]
        if (options["thinking"] or options["favourite"]) and not options["chat"]:
            raise CommandError("--thinking and --favourite go with --chat")
        for repo_id in repo_ids:  # validate all before building any
            try:
                check_model_id(repo_id)
            except SubmissionError as exc:
                raise CommandError(f"{repo_id!r}: {exc.message}") from None

        hub_cache = _hf_home() / "hub"
        for repo_id in repo_ids:
            if options["chat"]:
                sha = build_tiny_chat_model(
                    repo_id, hub_cache=hub_cache, favourite=options["favourite"], thinking=options["thinking"]
                )
            else:
                sha = build_tiny_model(repo_id, hub_cache=hub_cache)
            self.stdout.write(sha)
