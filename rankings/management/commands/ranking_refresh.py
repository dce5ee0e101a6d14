from django.core.management.base import BaseCommand

from rankings.models import LeaderboardEntry
from rankings.services import entries_refresh_runs


class Command(BaseCommand):
    help = (
        "Recompute every ranked entry from its run (scores, intervals, setting, subjects) and each suite's ranks and "
        "bands: once after an upgrade that adds what entries store (e.g. the 95% intervals), on any database."
    )

    def handle(self, *args, **options):
        runs = list(LeaderboardEntry.objects.filter(is_reference=False).values_list("run_id", flat=True))
        self.stdout.write(f"refreshed {entries_refresh_runs(runs)} ranked entries")
