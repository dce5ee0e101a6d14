from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Suite
from pipeline.gradio_export import leaderboard_export


class Command(BaseCommand):
    help = (
        "Write a suite's ranked models as a Gradio leaderboard's two datasets, DIR/results and DIR/requests "
        "(the Hugging Face template's format), to feed a site that still serves that template."
    )

    def add_arguments(self, parser):
        parser.add_argument("suite", help="suite slug")
        parser.add_argument("folder", type=Path, help="DIR: results/ and requests/ are written in it")

    def handle(self, *args, suite, folder, **options):
        suite_obj = Suite.objects.filter(slug=suite).first()
        if suite_obj is None:
            raise CommandError(f"no suite {suite!r}; load it with `manage.py load_suites`")
        count = leaderboard_export(suite_obj, folder)
        self.stdout.write(f"wrote {count} models of {suite_obj.slug} to {folder / 'results'} and {folder / 'requests'}")
