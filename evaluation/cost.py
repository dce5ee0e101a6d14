"""What a run cost: wall time, GPU-seconds, tokens, tokens per second and an estimated CO2 figure.

CO2 follows the Open LLM Leaderboard's rule: GPU power x hours x the grid's carbon intensity, with the power
and intensity of the run's cluster (settings.EVAL_CLUSTERS, else EVAL_GPU_WATTS and EVAL_GRID_GCO2_PER_KWH).
One GPU per worker, or the cluster's tensor parallel size for vLLM: GPU-seconds are the wall time on CUDA
times the GPUs.
"""

from django.conf import settings

from evaluation.routing import cluster_get


def run_cost(generation: dict | None, duration_s: float, device: str, cluster_name: str) -> dict:
    cluster = cluster_get(cluster_name or settings.EVAL_DEFAULT_CLUSTER)
    gpus = (cluster.tensor_parallel_size or 1) if cluster.backend == "vllm" else 1
    gpu_seconds = round(duration_s * gpus, 3) if str(device).startswith("cuda") else 0
    watts = cluster.gpu_watts or settings.EVAL_GPU_WATTS
    intensity = cluster.grid_gco2_per_kwh or settings.EVAL_GRID_GCO2_PER_KWH
    cost = {
        "duration_s": round(duration_s, 3),
        "gpu_seconds": gpu_seconds,
        "co2_g": round(watts / 1000 * gpu_seconds / 3600 * intensity, 3),
        "gpu_watts": watts,
        "grid_gco2_per_kwh": intensity,
    }
    if generation:
        generate_s = generation.get("generate_s") or 0
        cost.update(
            prompt_tokens=generation.get("prompt_tokens", 0),
            generated_tokens=generation.get("generated_tokens", 0),
            thinking_tokens=generation.get("thinking_tokens", 0),
            generations=generation.get("generations", 0),
            generate_s=generate_s,
            tokens_per_s=round(generation.get("generated_tokens", 0) / generate_s, 2) if generate_s else None,
        )
    return cost
