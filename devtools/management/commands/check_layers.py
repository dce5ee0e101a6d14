from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from devtools.layers import project_problems


class Command(BaseCommand):
    help = (
        "Check that every foreign key, migration dependency and enqueued task name points down the layers of "
        "pyproject.toml's import-linter contract (import-linter checks the imports)."
    )

    def handle(self, *args, **options):
        problems = project_problems(settings.BASE_DIR)
        if problems:
            raise CommandError("The layers do not hold:\n  " + "\n  ".join(problems))
        self.stdout.write("The layers hold for models, migrations and task names.")
