from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Suite
from pipeline.gradio_import import GradioImportError, leaderboard_import


class Command(BaseCommand):
    help = (
        "Import the history of a Gradio leaderboard (the Hugging Face template's results and requests datasets) "
        "into a suite: finished evaluations become ranked submissions, pending, running and failed requests "
        "submissions in those states. Files it cannot import are listed with the reason; running it again adds "
        "only what is new."
    )

    def add_arguments(self, parser):
        parser.add_argument("--results", type=Path, required=True, help="the results dataset's folder")
        parser.add_argument("--requests", type=Path, required=True, help="the requests dataset's folder")
        parser.add_argument("--suite", required=True, help="suite slug")
        parser.add_argument("--dry-run", action="store_true", help="say what it would import; store nothing")

    def handle(self, *args, results, requests, suite, dry_run, **options):
        suite_obj = Suite.objects.filter(slug=suite).first()
        if suite_obj is None:
            raise CommandError(f"no suite {suite!r}; load it with `manage.py load_suites`")
        try:
            report = leaderboard_import(suite=suite_obj, results_dir=results, requests_dir=requests, dry_run=dry_run)
        except GradioImportError as exc:
            raise CommandError(str(exc)) from exc
        for problem in report.problems:
            self.stderr.write(f"skipped {problem}")
        self.stdout.write(report.summary(suite_obj))
