"""Routing: the smallest GPU host that fits parameters x bytes of the precision x margin."""

from importlib.util import find_spec

import pytest
from django.core.exceptions import ImproperlyConfigured

from evaluation.routing import (
    backend_for,
    cluster_get,
    clusters,
    memory_need_gib,
    missing_packages,
    route,
)
from pipeline.delivery import run_queue
from tests.evaluation.helpers import queued_submission

CLUSTERS = {"a10": {"gpu_gib": 24}, "h100": {"gpu_gib": 80, "backend": "vllm"}, "a100-40": {"gpu_gib": 40}}


class Facts:
    """What memory_need_gib reads of a submission."""

    def __init__(self, num_params, precision, quantization=""):
        self.facts = {"num_params": num_params, "quantization": quantization}
        self.precision = precision


@pytest.fixture
def gpu_hosts(settings):
    settings.EVAL_CLUSTERS = CLUSTERS
    settings.EVAL_DEFAULT_CLUSTER = "a10"
    settings.EVAL_MEMORY_MARGIN = 1.2


def test_memory_need_is_params_times_bytes_of_the_precision_times_the_margin(gpu_hosts):
    seven_b = 7_000_000_000
    assert memory_need_gib(Facts(seven_b, "float16")) == pytest.approx(15.646, abs=1e-3)  # 7e9 * 2 * 1.2 / 2**30
    assert memory_need_gib(Facts(seven_b, "float32")) == pytest.approx(31.292, abs=1e-3)
    assert memory_need_gib(Facts(seven_b, "8bit")) == pytest.approx(7.823, abs=1e-3)
    assert memory_need_gib(Facts(seven_b, "4bit")) == pytest.approx(3.912, abs=1e-3)
    assert memory_need_gib(Facts(seven_b, "GPTQ", "gptq 8-bit")) == pytest.approx(7.823, abs=1e-3)
    assert memory_need_gib(Facts(seven_b, "GPTQ", "gptq 4-bit")) == pytest.approx(3.912, abs=1e-3)
    assert memory_need_gib(Facts(None, "float16")) is None  # unknown size


def test_a_run_goes_to_the_smallest_cluster_that_fits(gpu_hosts):
    assert [c.name for c in clusters()] == ["a10", "a100-40", "h100"]
    assert route(15.65).name == "a10"
    assert route(31.29).name == "a100-40"
    assert route(60).name == "h100"
    assert route(None).name == "a10"  # unknown size: the default cluster
    assert route(160).name == "h100"  # nothing fits: the largest, whose worker refuses it saying why
    assert not cluster_get("h100").fits(160)


def test_enqueue_routes_by_the_submissions_facts(gpu_hosts, suites, tiny_model):
    model_id, sha = tiny_model
    big = queued_submission(
        model_id, sha, suites["demo-medical"], precision="float32", facts={"num_params": 13_000_000_000}
    )
    run = run_queue(big)
    assert run.cluster == "h100" and run.memory_gib == pytest.approx(58.114, abs=1e-3)
    unknown = queued_submission(model_id, sha, suites["medical"], precision="float16")
    assert (run_queue(unknown).cluster, unknown.runs.get().memory_gib) == ("a10", None)


def test_a_host_without_known_memory_takes_anything_but_comes_last(settings):
    settings.EVAL_CLUSTERS = {"laptop": {}, "a10": {"gpu_gib": 24}}
    settings.EVAL_DEFAULT_CLUSTER = "laptop"
    assert route(10).name == "a10"
    assert route(100).name == "laptop"


def test_backends_and_packages(gpu_hosts):
    # vllm only where the cluster asks for it, vllm is installed and the weights are not quantized.
    vllm_here = find_spec("vllm") is not None
    assert backend_for(cluster_get("h100"), "float16") == ("vllm" if vllm_here else "hf")
    assert backend_for(cluster_get("h100"), "8bit") == "hf"
    assert backend_for(cluster_get("a10"), "float16") == "hf"
    assert missing_packages("8bit") == ([] if find_spec("bitsandbytes") else ["bitsandbytes"])
    assert missing_packages("float16") == []


def test_a_bad_cluster_setting_is_refused_clearly(settings):
    settings.EVAL_CLUSTERS = {"a10": {"gpu_gb": 24}}
    with pytest.raises(ImproperlyConfigured, match="gpu_gib"):
        clusters()
    settings.EVAL_CLUSTERS = {"a10": {"gpu_gib": 24, "backend": "tgi"}}
    with pytest.raises(ImproperlyConfigured, match="backend"):
        clusters()
