"""What a run cost (GPU-seconds, tokens per second, CO2) and the clusters' throughput settings."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from evaluation.cost import run_cost
from evaluation.routing import cluster_get
from evaluation.worker import vllm_args

CLUSTERS = {
    "h200x2": {
        "gpu_gib": 141,
        "backend": "vllm",
        "tensor_parallel_size": 2,
        "max_model_len": 8192,
        "gpu_memory_utilization": 0.9,
        "gpu_watts": 700,
        "grid_gco2_per_kwh": 50,
    },
    "a10": {"gpu_gib": 24, "batch_size": 16},
}


def test_co2_is_gpu_power_times_hours_times_grid_intensity(settings):
    settings.EVAL_CLUSTERS = CLUSTERS
    settings.EVAL_GPU_WATTS, settings.EVAL_GRID_GCO2_PER_KWH = 300, 400
    generation = {
        "prompt_tokens": 1000,
        "generated_tokens": 600,
        "thinking_tokens": 100,
        "generations": 4,
        "generate_s": 30.0,
    }
    # An hour on two GPUs of 700 W: 1.4 kWh, at 50 g/kWh.
    cost = run_cost(generation, 3600, "cuda:0", "h200x2")
    assert (cost["gpu_seconds"], cost["co2_g"]) == (7200, pytest.approx(70.0))
    assert cost["tokens_per_s"] == 20.0 and cost["generated_tokens"] == 600
    # The settings' defaults for a cluster that does not say: an hour of one 300 W GPU at 400 g/kWh.
    assert run_cost(None, 3600, "cuda", "a10")["co2_g"] == pytest.approx(120.0)
    assert run_cost(None, 3600, "cpu", "a10")["co2_g"] == 0  # no GPU, no GPU-seconds


def test_clusters_carry_their_batch_size_and_vllm_settings(settings):
    settings.EVAL_CLUSTERS = CLUSTERS
    assert cluster_get("a10").batch_size == 16
    assert vllm_args(cluster_get("h200x2")) == ",tensor_parallel_size=2,max_model_len=8192,gpu_memory_utilization=0.9"
    assert vllm_args(cluster_get("a10")) == ""


@pytest.mark.parametrize("entry", [{"tensor_parallel_size": "two"}, {"gpu_watts": 0}, {"turbo": True}])
def test_a_malformed_cluster_option_is_refused(settings, entry):
    settings.EVAL_CLUSTERS = {"x": {"gpu_gib": 24, **entry}}
    with pytest.raises(ImproperlyConfigured):
        cluster_get("x")
