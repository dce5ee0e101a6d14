from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup (`manage.py backup`) into an empty database and DATA_DIR: a new data directory for the "
        "embedded database, or a new DATABASE_URL database. Each file is checked against the backup's manifest first."
    )

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="a folder `manage.py backup` wrote")

    def handle(self, *args, source, **options):
        try:
            downloads = backup_restore(source=source)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Restored the database and {downloads} run downloads from {source}.")
