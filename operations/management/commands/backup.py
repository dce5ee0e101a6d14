from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from operations.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back the database (pg_dump, one consistent snapshot) and the run downloads up into a new folder, with a "
        "manifest of every file's SHA-256. Restore it with `manage.py restore FOLDER`."
    )

    def add_arguments(self, parser):
        parser.add_argument("destination", type=Path, help="a folder not there yet (or empty)")

    def handle(self, *args, destination, **options):
        try:
            manifest = backup_create(destination=destination)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        size = sum(f["bytes"] for f in manifest["files"].values())
        self.stdout.write(f"Backed up into {destination}: {len(manifest['files'])} files, {size:,} bytes.")
