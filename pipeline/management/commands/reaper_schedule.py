from django.core.management.base import BaseCommand

from pipeline.lifecycle import reaper_schedule


class Command(BaseCommand):
    help = (
        "Create or update the django-q2 schedule that requeues runs whose worker was lost (stale heartbeat) "
        "and fails them after EVAL_MAX_ATTEMPTS. `make setup` runs it; run it once per database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--minutes", type=int, default=1, help="how often it runs (default 1)")
        parser.add_argument(
            "--cluster", help="the cluster that runs it (default: the site's default cluster, Q_CLUSTER_NAME unset)"
        )

    def handle(self, *args, minutes, cluster, **options):
        schedule = reaper_schedule(minutes=minutes, cluster=cluster)
        where = f"cluster {schedule.cluster}" if schedule.cluster else "the default cluster"
        self.stdout.write(f"{schedule.name}: every {minutes} min on {where}, next at {schedule.next_run:%H:%M:%S}")
