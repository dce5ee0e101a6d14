"""/metrics for Prometheus: django-prometheus's (requests, responses, latency, database queries and errors of this
web process, or of every gunicorn worker with PROMETHEUS_MULTIPROC_DIR) and the platform's own, computed from the
database at each scrape, so that every process and host answers the same values:

    leaderboard_submissions{status}                       gauge   submissions by status
    leaderboard_runs{status,cluster}                      gauge   runs by status and cluster
    leaderboard_oldest_waiting_seconds{queue}             gauge   age of the oldest queued run of each cluster, and of
                                                                  the oldest submission in its hub checks (queue=checks cluster)
    leaderboard_runs_finished_total{cluster}              counter runs finished
    leaderboard_runs_failed_total{cluster,kind}           counter runs failed, by failure kind
    leaderboard_runs_reaped_total{cluster}                counter runs whose heartbeat went stale, failed and requeued by the reaper
    leaderboard_run_duration_seconds{cluster}             histogram finished runs' duration
    leaderboard_gpu_seconds_total{cluster}                counter GPU time of finished runs
    leaderboard_checks_latency_seconds                    histogram a submission's creation to the end of its hub checks
    leaderboard_cluster_heartbeat_age_seconds{cluster}    gauge   seconds since each cluster beat (absent: never seen)

The counters count rows, so they only go down when rows are deleted (a submission removed in the admin).
Readers: a scraper sending METRICS_TOKEN, or from METRICS_ALLOWED_IPS; anyone else gets a 403.
"""

import hmac
import ipaddress
import os

import prometheus_client
from django.conf import settings
from django.http import HttpResponse, HttpResponseForbidden
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from core.client_ip import client_ip
from core.histograms import Histogram
from evaluation.brokers import cluster_heartbeats
from evaluation.models import FailureKind, RunStatus
from evaluation.selectors import runs_counted, runs_durations, runs_gpu_seconds, runs_oldest_queued
from submissions.models import Status
from submissions.selectors import checks_latency, submissions_counted, submissions_oldest_checking


def _histogram(family: HistogramMetricFamily, labels: list[str], histogram: Histogram) -> None:
    buckets = [(repr(bound), n) for bound, n in zip(histogram.bounds, histogram.cumulative, strict=True)]
    family.add_metric(labels, [*buckets, ("+Inf", histogram.count)], histogram.total)


class PlatformCollector:
    """The platform's metrics, read from the database when Prometheus scrapes."""

    def collect(self):
        now = timezone.now()
        submissions = GaugeMetricFamily("leaderboard_submissions", "Submissions by status", labels=["status"])
        counted = submissions_counted()
        for status in Status.values:
            submissions.add_metric([status], counted.get(status, 0))
        yield submissions

        runs = GaugeMetricFamily("leaderboard_runs", "Runs by status and cluster", labels=["status", "cluster"])
        finished = CounterMetricFamily("leaderboard_runs_finished", "Runs finished", labels=["cluster"])
        failed = CounterMetricFamily(
            "leaderboard_runs_failed", "Runs failed, by failure kind", labels=["cluster", "kind"]
        )
        reaped = CounterMetricFamily(
            "leaderboard_runs_reaped",
            "Runs whose worker was lost (stale heartbeat), failed by the reaper",
            labels=["cluster"],
        )
        by_status: dict[tuple[str, str], int] = {}
        by_kind: dict[tuple[str, str], int] = {}
        for row in runs_counted():
            key = (row["status"], row["cluster"])
            by_status[key] = by_status.get(key, 0) + row["n"]
            if row["status"] == RunStatus.FAILED:
                by_kind[(row["cluster"], row["failure_kind"])] = row["n"]
        clusters = sorted(
            {cluster for _, cluster in by_status} | {settings.EVAL_DEFAULT_CLUSTER, *settings.EVAL_CLUSTERS}
        )
        for cluster in clusters:
            for status in RunStatus.values:
                runs.add_metric([status, cluster], by_status.get((status, cluster), 0))
            finished.add_metric([cluster], by_status.get((RunStatus.FINISHED, cluster), 0))
            reaped.add_metric([cluster], by_kind.get((cluster, FailureKind.WORKER_LOST), 0))
        for (cluster, kind), n in sorted(by_kind.items()):
            failed.add_metric([cluster, kind], n)
        yield from (runs, finished, failed, reaped)

        waiting = GaugeMetricFamily(
            "leaderboard_oldest_waiting_seconds",
            "Age of the oldest queued run of each cluster, and of the oldest submission in its hub checks",
            labels=["queue"],
        )
        oldest = runs_oldest_queued()
        for cluster in clusters:
            waiting.add_metric([cluster], (now - oldest[cluster]).total_seconds() if cluster in oldest else 0)
        checking = submissions_oldest_checking()
        waiting.add_metric([settings.CHECKS_CLUSTER], (now - checking).total_seconds() if checking else 0)
        yield waiting

        durations = HistogramMetricFamily(
            "leaderboard_run_duration_seconds", "Finished runs' duration, claimed to stored", labels=["cluster"]
        )
        for cluster, histogram in runs_durations().items():
            _histogram(durations, [cluster], histogram)
        yield durations

        gpu = CounterMetricFamily("leaderboard_gpu_seconds", "GPU time of finished runs", labels=["cluster"])
        for cluster, seconds in sorted(runs_gpu_seconds().items()):
            gpu.add_metric([cluster], seconds)
        yield gpu

        latency = HistogramMetricFamily(
            "leaderboard_checks_latency_seconds", "A submission's creation to the end of its hub checks", labels=[]
        )
        histogram = checks_latency()
        if histogram is not None:
            _histogram(latency, [], histogram)
        yield latency

        heartbeats = GaugeMetricFamily(
            "leaderboard_cluster_heartbeat_age_seconds",
            "Seconds since each cluster last beat (absent: never seen)",
            labels=["cluster"],
        )
        every_cluster = sorted({*clusters, settings.CHECKS_CLUSTER, *settings.HEALTH_CLUSTERS})
        for cluster, beat in cluster_heartbeats(every_cluster).items():
            if beat is not None:
                heartbeats.add_metric([cluster], (now - beat["at"]).total_seconds())
        yield heartbeats


def may_read(request) -> bool:
    token = settings.METRICS_TOKEN
    sent = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
        return True
    if not settings.NUM_PROXIES and "HTTP_X_FORWARDED_FOR" in request.META:
        return False  # a proxy nobody counted (NUM_PROXIES=0) forwarded it: REMOTE_ADDR is the proxy, not the client
    try:
        address = ipaddress.ip_address(client_ip(request))  # by NUM_PROXIES' rule
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(allowed, strict=False) for allowed in settings.METRICS_ALLOWED_IPS)


@never_cache
def metrics(request):
    if not may_read(request):
        return HttpResponseForbidden("Metrics are for the operators' scraper.\n", content_type="text/plain")
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:  # every gunicorn worker's counts, added up
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = prometheus_client.REGISTRY
    platform = prometheus_client.CollectorRegistry()
    platform.register(PlatformCollector())
    body = prometheus_client.generate_latest(registry) + prometheus_client.generate_latest(platform)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
