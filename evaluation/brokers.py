"""django-q2's brokers (its transport), with each cluster's heartbeat.

A cluster's guard (its sentinel process) saves its statistics through the broker every half second, whatever its
workers do (a worker may be busy with a day-long run). These brokers also note, every CLUSTER_HEARTBEAT_S, that the
cluster named by this host's Q_CLUSTER_NAME is alive: in the shared cache (the database's, or Redis), one key per
cluster name, so the health check and the metrics of any host read when each cluster last beat, on any host.
Q_CLUSTER's "broker_class" (settings) names one of them.
"""

import logging
import socket
import time

from django.conf import settings
from django.core.cache import caches
from django.db import close_old_connections
from django.utils import timezone
from django_q.brokers.orm import ORM
from django_q.brokers.redis_broker import Redis
from django_q.conf import Conf

log = logging.getLogger(__name__)
KEY = "cluster-heartbeat:{}"


def cluster_heartbeat_key(name: str) -> str:
    return KEY.format(name)


def cluster_heartbeats(names: list[str]) -> dict[str, dict | None]:
    """Each cluster's last heartbeat, {"at": datetime, "host": ...}, or None when none was seen."""
    found = caches[settings.CLUSTER_HEARTBEAT_CACHE].get_many([cluster_heartbeat_key(name) for name in names])
    return {name: found.get(cluster_heartbeat_key(name)) for name in names}


class HeartbeatMixin:
    """Beat, at most every CLUSTER_HEARTBEAT_S, when the guard saves the cluster's statistics."""

    _last_beat = 0.0

    def set_stat(self, key: str, value: str, timeout: int):
        super().set_stat(key, value, timeout)  # type: ignore[misc]  # a mixin: the broker it is mixed into has it
        now = time.monotonic()
        if now - HeartbeatMixin._last_beat < settings.CLUSTER_HEARTBEAT_S:
            return
        HeartbeatMixin._last_beat = now  # also when it fails: a database outage is tried again at the next beat
        close_old_connections()  # drop a connection the database closed (an outage, a restart)
        beat = {"at": timezone.now(), "host": socket.gethostname()}
        # Kept a day: a cluster gone for good shows as stale, then as never seen.
        caches[settings.CLUSTER_HEARTBEAT_CACHE].set(cluster_heartbeat_key(Conf.CLUSTER_NAME), beat, 24 * 3600)


class OrmBroker(HeartbeatMixin, ORM):
    """The queue in Postgres (the default)."""


class RedisBroker(HeartbeatMixin, Redis):
    """The queue in Redis (Q_BROKER=redis)."""
