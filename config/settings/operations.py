"""Running as a service: the clusters' heartbeats, readiness and metrics (README "Running in production")."""

import os

from config.settings.base import env
from config.settings.evaluation import EVAL_CLUSTERS, EVAL_DEFAULT_CLUSTER
from config.settings.leaderboard import CHECKS_CLUSTER

# CLUSTER_HEARTBEAT_S: seconds between a cluster's heartbeats (written by its guard, busy workers or not); default 5.
CLUSTER_HEARTBEAT_S = env.float("CLUSTER_HEARTBEAT_S", default=5.0)
CLUSTER_HEARTBEAT_CACHE = "default"
# Readiness (/health/ready/, operations.health): 503 when any of these fails.
# HEALTH_CLUSTERS: comma-separated clusters whose heartbeat readiness needs; default every one configured
# (EVAL_DEFAULT_CLUSTER, EVAL_CLUSTERS, CHECKS_CLUSTER). A web host may name only the checks cluster beside it.
HEALTH_CLUSTERS = env.list(
    "HEALTH_CLUSTERS", default=list(dict.fromkeys([EVAL_DEFAULT_CLUSTER, *EVAL_CLUSTERS, CHECKS_CLUSTER]))
)
# HEALTH_CLUSTER_STALE_S: a cluster without a heartbeat for this many seconds is down; default 60.
HEALTH_CLUSTER_STALE_S = env.float("HEALTH_CLUSTER_STALE_S", default=60.0)
# HEALTH_QUEUE_MAX_WAIT_S: the oldest queued run may wait this many seconds; default 86400 (a day).
HEALTH_QUEUE_MAX_WAIT_S = env.float("HEALTH_QUEUE_MAX_WAIT_S", default=24 * 3600.0)
# HEALTH_MAX_DISK_PERCENT: the disk of DATA_DIR may be this full, in percent; default 95.
HEALTH_MAX_DISK_PERCENT = env.float("HEALTH_MAX_DISK_PERCENT", default=95.0)
# HEALTH_READY_CACHE_S: seconds each process keeps its last readiness answer; default 1.
HEALTH_READY_CACHE_S = env.float("HEALTH_READY_CACHE_S", default=1.0)
# Prometheus (/metrics, operations.metrics): a scraper that sends METRICS_TOKEN as "Authorization: Bearer <token>",
# or comes from an address of METRICS_ALLOWED_IPS (by NUM_PROXIES' rule; none when an uncounted proxy forwarded the
# request), may read it; anyone else gets a 403.
# METRICS_TOKEN: a secret (read as it is, see SECRET_KEY in base.py); default none.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# METRICS_ALLOWED_IPS: comma-separated addresses or networks (10.0.0.0/8); default 127.0.0.1,::1.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
