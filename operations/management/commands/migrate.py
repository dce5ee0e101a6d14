from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from operations.history import history_rewrite


class Command(DjangoMigrate):
    help = (
        f"{DjangoMigrate.help} A database made by the migrations before their rewrite (issue 20) is first taken over "
        "to the new ones (operations.history)."
    )

    def handle(self, *args, **options):
        done = history_rewrite(connections[options["database"]])
        if done:
            self.stdout.write(done)
        super().handle(*args, **options)
