"""Evaluation: the harness's runs, the GPU clusters they go to and django-q2, the queue that carries them."""

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import DATA_DIR, env
from config.settings.caches import REDIS_URL

# EVAL_DEVICE: the harness's device (cpu, cuda, cuda:1, ...); default auto: cuda when the harness child
# sees a GPU, else cpu.
EVAL_DEVICE = env.str("EVAL_DEVICE", default="auto")
# EVAL_BATCH_SIZE: the harness's batch size (a number, or auto); default auto.
EVAL_BATCH_SIZE = env.str("EVAL_BATCH_SIZE", default="auto")
# EVAL_TIMEOUT_S: seconds a run may take; default 86400 (a day).
EVAL_TIMEOUT_S = env.int("EVAL_TIMEOUT_S", default=24 * 3600)
# EVAL_SUITE_TIMEOUTS: per-suite timeouts in seconds as JSON, e.g. {"open-llm-v1": 172800}; other suites
# get EVAL_TIMEOUT_S; default {}.
EVAL_SUITE_TIMEOUTS = {slug: int(s) for slug, s in env.json("EVAL_SUITE_TIMEOUTS", default={}).items()}
# EVAL_HEARTBEAT_S: seconds between a running run's heartbeats; default 10.
EVAL_HEARTBEAT_S = env.int("EVAL_HEARTBEAT_S", default=10)
# EVAL_STALE_S: a RUNNING run without a heartbeat for this many seconds lost its worker: the reaper requeues
# it, at most EVAL_MAX_ATTEMPTS attempts in all, then fails it; default the larger of 180 and 6 heartbeats.
EVAL_STALE_S = env.int("EVAL_STALE_S", default=max(180, 6 * EVAL_HEARTBEAT_S))
# EVAL_MAX_ATTEMPTS: attempts a run gets before it fails; default 3.
EVAL_MAX_ATTEMPTS = env.int("EVAL_MAX_ATTEMPTS", default=3)
# SANDBOX: "off" runs the harness child and the hub checks' child without bubblewrap (core.sandbox); any
# other value, where bwrap cannot run, makes the workers refuse to start; default on.
SANDBOX = env.str("SANDBOX", default="on")
# EVAL_WORK_DIR: where runs write the harness's output; default DATA_DIR/runs.
EVAL_WORK_DIR = env("EVAL_WORK_DIR", cast=Path, default=DATA_DIR / "runs")

# GPU hosts. Each runs `Q_CLUSTER_NAME=<name> python manage.py qcluster`; every host and the web
# server share this JSON: {"<name>": {"gpu_gib": 80, "backend": "vllm"}, ...}. "gpu_gib" is the GPU
# memory of one worker (left out: unknown, fits anything, chosen last); "backend" is "hf" (default)
# or "vllm" (used where vllm is installed). A run goes to the smallest cluster that fits
# parameters x bytes per parameter of its precision x EVAL_MEMORY_MARGIN; a model whose size is
# unknown goes to EVAL_DEFAULT_CLUSTER.
# Q_CLUSTER_NAME: the cluster (queue) this process serves; default "default".
EVAL_CLUSTER = env.str("Q_CLUSTER_NAME", default="default")
# EVAL_DEFAULT_CLUSTER: where runs of models of unknown size go; default "default".
EVAL_DEFAULT_CLUSTER = env.str("EVAL_DEFAULT_CLUSTER", default="default")
# EVAL_CLUSTERS: the GPU clusters as JSON, as above; default {} (everything runs on default).
EVAL_CLUSTERS = env.json("EVAL_CLUSTERS", default={})
# Each EVAL_CLUSTERS entry may also set "batch_size" (a number or "auto": HF generation batches; default
# EVAL_BATCH_SIZE), for vLLM "tensor_parallel_size", "max_model_len" and "gpu_memory_utilization", and for the
# cost estimate "gpu_watts" and "grid_gco2_per_kwh".
# EVAL_GPU_WATTS: a GPU's power draw for the CO2 estimate, in watts; default 700 (an H100/H200 SXM).
EVAL_GPU_WATTS = env.float("EVAL_GPU_WATTS", default=700.0)
# EVAL_GRID_GCO2_PER_KWH: the grid's carbon intensity, in gCO2eq per kWh; default 400.
EVAL_GRID_GCO2_PER_KWH = env.float("EVAL_GRID_GCO2_PER_KWH", default=400.0)
# EVAL_MEMORY_MARGIN: GPU memory a run needs over its weights' size, as a factor; default 1.2.
EVAL_MEMORY_MARGIN = env.float("EVAL_MEMORY_MARGIN", default=1.2)

# django-q2 is only the transport. Its timeout must outlast our longest per-suite timeout (ours ends
# the harness first and says so), and its redelivery (retry) must outlast its timeout, or a slow run
# would be delivered twice.
# Q_TIMEOUT_S: django-q2's task timeout in seconds (tests use short ones); default the longest evaluation
# timeout + 300.
_Q_TIMEOUT_S = env.int("Q_TIMEOUT_S", default=max([EVAL_TIMEOUT_S, *EVAL_SUITE_TIMEOUTS.values()]) + 300)
# Q_RETRY_S: seconds before django-q2 redelivers an unacknowledged task; default Q_TIMEOUT_S + 300.
_Q_RETRY_S = env.int("Q_RETRY_S", default=_Q_TIMEOUT_S + 300)
if not _Q_RETRY_S > _Q_TIMEOUT_S > max([EVAL_TIMEOUT_S, *EVAL_SUITE_TIMEOUTS.values()]):
    raise ImproperlyConfigured(
        "need Q_RETRY_S > Q_TIMEOUT_S > every evaluation timeout (EVAL_TIMEOUT_S, EVAL_SUITE_TIMEOUTS)"
    )

Q_CLUSTER = {
    # "name" is the site: it salts the signed task payloads, so it is the same on every host. A host
    # serves the queue named by its Q_CLUSTER_NAME environment variable (django-q2 reads it).
    "name": "default",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=1),  # Q_WORKERS: worker processes per cluster; default 1
    "timeout": _Q_TIMEOUT_S,
    "retry": _Q_RETRY_S,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "cache": "qcluster",  # its per-process statistics; see CACHES (caches.py)
    "ALT_CLUSTERS": {},
}
# Q_BROKER: django-q2's queue, "orm" (Postgres) or "redis" (in REDIS_URL); default orm. Either way each cluster
# notes its heartbeat (evaluation.brokers).
Q_BROKER = env.str("Q_BROKER", default="orm")
if Q_BROKER not in ("orm", "redis") or (Q_BROKER == "redis" and not REDIS_URL):
    raise ImproperlyConfigured('Q_BROKER must be "orm" or, with REDIS_URL set, "redis"')
Q_CLUSTER["broker_class"] = {"orm": "evaluation.brokers.OrmBroker", "redis": "evaluation.brokers.RedisBroker"}[Q_BROKER]
if Q_BROKER == "redis":
    Q_CLUSTER["redis"] = REDIS_URL
