from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalogue.services import SuiteFileError, suite_load, suites_load_all


class Command(BaseCommand):
    help = "Create or update suites from their YAML files (default: every file in catalogue/suites/)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path)

    def handle(self, *args, files, **options):
        try:
            suites = [suite_load(path) for path in files] if files else suites_load_all()
        except SuiteFileError as exc:
            raise CommandError(str(exc)) from exc
        for suite in suites:
            self.stdout.write(f"{suite.slug}: {suite.tasks.count()} tasks")
