"""Which GPU host (django-q2 cluster) runs a model, and what a host can run.

Every host and the web server read the same EVAL_CLUSTERS setting; a host knows which
entry is its own from Q_CLUSTER_NAME (settings.EVAL_CLUSTER). Nothing here touches the
database or imports torch: it is safe in the web process and in forked workers.
"""

from dataclasses import dataclass
from importlib.util import find_spec

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalogue.precision import FACTS, UNQUANTIZED, weight_bits

GIB = 2**30
BACKENDS = ("hf", "vllm")


# What else a cluster's entry may say: its throughput settings (batch size for HF generation; tensor
# parallel size, maximum model length and GPU memory share for vLLM) and its cost figures (the GPU's power
# in watts and its grid's carbon intensity in gCO2eq per kWh, settings.EVAL_GPU_WATTS and
# EVAL_GRID_GCO2_PER_KWH where left out).
OPTIONS = {
    "batch_size": (int, str),
    "tensor_parallel_size": (int,),
    "max_model_len": (int,),
    "gpu_memory_utilization": (float,),
    "gpu_watts": (int, float),
    "grid_gco2_per_kwh": (int, float),
}


@dataclass(frozen=True)
class Cluster:
    name: str
    gpu_gib: float | None  # None: unknown, fits anything
    backend: str = "hf"
    batch_size: int | str | None = None  # None: settings.EVAL_BATCH_SIZE
    tensor_parallel_size: int | None = None
    max_model_len: int | None = None
    gpu_memory_utilization: float | None = None
    gpu_watts: float | None = None
    grid_gco2_per_kwh: float | None = None

    def fits(self, need_gib: float | None) -> bool:
        return need_gib is None or self.gpu_gib is None or need_gib <= self.gpu_gib


def clusters() -> list[Cluster]:
    """The configured clusters, the default one included, smallest GPU first (unknown memory last)."""
    found = {}
    for name, conf in {settings.EVAL_DEFAULT_CLUSTER: {}, **settings.EVAL_CLUSTERS}.items():
        if not isinstance(conf, dict) or set(conf) - {"gpu_gib", "backend", *OPTIONS}:
            raise ImproperlyConfigured(
                f'EVAL_CLUSTERS["{name}"] must be like {{"gpu_gib": 80, "backend": "hf"}}, with any of {", ".join(OPTIONS)}'
            )
        for option, types in OPTIONS.items():
            value = conf.get(option)
            if value is not None and (not isinstance(value, types) or isinstance(value, bool) or value == 0):
                raise ImproperlyConfigured(f'EVAL_CLUSTERS["{name}"]: {option} must be a positive {types[0].__name__}')
        gpu_gib, backend = conf.get("gpu_gib"), conf.get("backend", "hf")
        if backend not in BACKENDS or not (gpu_gib is None or (isinstance(gpu_gib, (int, float)) and gpu_gib > 0)):
            raise ImproperlyConfigured(
                f'EVAL_CLUSTERS["{name}"]: gpu_gib must be a positive number, backend one of {BACKENDS}'
            )
        options = {option: conf[option] for option in OPTIONS if option in conf}
        found[name] = Cluster(name=name, gpu_gib=gpu_gib, backend=backend, **options)
    return sorted(found.values(), key=lambda c: (c.gpu_gib is None, c.gpu_gib or 0, c.name))


def cluster_get(name: str) -> Cluster:
    """A cluster by name; one missing from EVAL_CLUSTERS has unknown memory and the hf backend."""
    return next((c for c in clusters() if c.name == name), Cluster(name=name, gpu_gib=None))


def this_cluster() -> Cluster:
    return cluster_get(settings.EVAL_CLUSTER)


def memory_need_gib(submission) -> float | None:
    """Parameters x bytes per parameter of the precision x margin, in GiB; None if the size is unknown."""
    num_params = (submission.facts or {}).get("num_params")
    if not isinstance(num_params, int) or num_params <= 0:
        return None
    per_param = weight_bits(submission.precision, submission.facts.get("quantization")) / 8
    return num_params * per_param * settings.EVAL_MEMORY_MARGIN / GIB


def route(need_gib: float | None) -> Cluster:
    """The smallest cluster that fits; the default cluster for an unknown size; the largest if none fits
    (its worker then fails the run, saying how much memory it needs)."""
    if need_gib is None:
        return cluster_get(settings.EVAL_DEFAULT_CLUSTER)
    ordered = clusters()
    return next((c for c in ordered if c.fits(need_gib)), ordered[-1])


def missing_packages(precision: str) -> list[str]:
    """What this host lacks to load a model in ``precision`` (checked without importing anything)."""
    return [name for name in FACTS[precision].packages if find_spec(name) is None]


def backend_for(cluster: Cluster, precision: str, *, generative: bool = True) -> str:
    """vllm where the cluster asks for it and vllm is installed, for unquantized weights and generative suites
    (log-likelihood tasks stay on HF, where vLLM is slower); else hf."""
    if generative and cluster.backend == "vllm" and precision in UNQUANTIZED and find_spec("vllm"):
        return "vllm"
    return "hf"
