"""Health endpoints for load balancers and operators (django-health-check's checks and runner).

/health/live/: the web process answers (nothing else is touched): 200.
/health/ready/: the database, the shared caches, every migration applied, room on DATA_DIR's disk, a recent
heartbeat of each cluster of HEALTH_CLUSTERS and no queued run waiting longer than HEALTH_QUEUE_MAX_WAIT_S:
200 when all pass, else 503; JSON either way, naming each check and what failed, never a host, path or secret.
"""

import asyncio
import dataclasses
import functools
import time
from datetime import timedelta
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from health_check import Cache, Database, HealthCheck
from health_check.contrib.psutil import Disk
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

from evaluation.brokers import cluster_heartbeats
from evaluation.selectors import runs_oldest_queued


def _thread_sensitive(check):
    """Run a check's ORM work in the request's own thread (asgiref), whose connection Django closes after the
    request, rather than in a pool thread that would keep one open."""

    @functools.wraps(check)
    async def run(self):
        await sync_to_async(check)(self)

    return run


@functools.cache
def _migrations() -> dict[tuple[str, str], tuple]:
    """Every migration of the code this process runs (read from disk once), and what each squashed one replaces."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return {key: tuple(migration.replaces) for key, migration in loader.graph.nodes.items()}


@dataclasses.dataclass
class MigrationsApplied(HealthCheck):
    """Every migration of the code that runs is applied to the database (a release migrated before it served):
    one query of the applied ones."""

    @_thread_sensitive
    def run(self):
        applied = set(MigrationRecorder(connection).applied_migrations())
        pending = [
            key
            for key, replaces in _migrations().items()
            if key not in applied and not (replaces and set(replaces) <= applied)
        ]
        if pending:
            raise ServiceUnavailable(f"{len(pending)} migrations are not applied")


@dataclasses.dataclass
class ClusterAlive(HealthCheck):
    """The cluster (django-q2 queue) beat within HEALTH_CLUSTER_STALE_S, on any host (evaluation.brokers)."""

    cluster: str = "default"

    @_thread_sensitive
    def run(self):
        beat = cluster_heartbeats([self.cluster])[self.cluster]
        if beat is None:
            raise ServiceUnavailable("no heartbeat seen")
        age = (timezone.now() - beat["at"]).total_seconds()
        if age > settings.HEALTH_CLUSTER_STALE_S:
            raise ServiceUnavailable(f"no heartbeat for {age:.0f} s")


@dataclasses.dataclass
class QueueWait(HealthCheck):
    """No queued run has waited longer than HEALTH_QUEUE_MAX_WAIT_S (its cluster is gone, or too slow)."""

    @_thread_sensitive
    def run(self):
        now = timezone.now()
        for cluster, oldest in sorted(runs_oldest_queued().items()):
            waited = now - oldest
            if waited > timedelta(seconds=settings.HEALTH_QUEUE_MAX_WAIT_S):
                raise ServiceWarning(f"a run has waited {waited.total_seconds():.0f} s on cluster {cluster}")


def _existing(path: Path) -> Path:
    """``path``, or where it will be made: its nearest folder that exists (DATA_DIR's subfolders come when needed)."""
    return next(folder for folder in (path, *path.parents) if folder.exists())


def readiness_checks() -> dict[str, HealthCheck]:
    """What readiness checks, by the name it reports them under."""
    return {
        "database": Database(),
        "cache": Cache("default"),
        "rate limit cache": Cache("ratelimit"),
        "migrations": MigrationsApplied(),
        "disk": Disk(path=_existing(settings.DATA_DIR), max_disk_usage_percent=settings.HEALTH_MAX_DISK_PERCENT),
        **{f"cluster {name}": ClusterAlive(cluster=name) for name in settings.HEALTH_CLUSTERS},
        "queue": QueueWait(),
    }


class Readiness(HealthCheckView):
    """The checks run concurrently, each within its timeout (django-health-check); one failing: 503. The answer is
    kept HEALTH_READY_CACHE_S in this process: asked for by anyone, as often as they like, readiness costs the
    database a few queries a second at most."""

    last: tuple[float, dict, int] | None = None  # (when, body, status)

    async def get(self, request, *args, **kwargs):
        last = Readiness.last
        if last and time.monotonic() - last[0] < settings.HEALTH_READY_CACHE_S:
            return JsonResponse(last[1], status=last[2])
        checks = readiness_checks()
        with self.get_executor() as executor:
            results = await asyncio.gather(*(check.get_result(executor) for check in checks.values()))
        report = {name: {"status": "ok"} for name in checks}
        for name, result in zip(checks, results, strict=True):
            if result.error:
                report[name] = {"status": "unavailable", "detail": result.error.message}
        ok = not any(result.error for result in results)
        body, status = {"status": "ok" if ok else "unavailable", "checks": report}, 200 if ok else 503
        Readiness.last = (time.monotonic(), body, status)
        return JsonResponse(body, status=status)


@never_cache
def liveness(request):
    return JsonResponse({"status": "ok"})
