"""manage.py evaluate --sync against the bare lm_eval CLI, on the demo suite and a tiny model, on CPU.

The CLI gets the seed leaderboard's reproduction flags (--batch_size 1, 0-shot) plus --log_samples,
since the platform stores every sample too. Both evaluate the same freshly built model in this run.
Prints both wall times and their ratio (goal: platform / CLI <= 1.0).

    make bench        (or: .venv/bin/python bench/evaluate_vs_cli.py [--repeat N])
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACK = REPO / "evaluation" / "task_packs" / "demo_medical"
TASKS = (
    "demo_medmcqa,demo_medqa_4options,demo_mmlu_anatomy,demo_mmlu_clinical_knowledge,demo_mmlu_college_biology,"
    "demo_mmlu_college_medicine,demo_mmlu_medical_genetics,demo_mmlu_professional_medicine,demo_pubmedqa"
)


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    repeat = parser.parse_args().repeat
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    hf_home = Path(os.environ.setdefault("HF_HOME", str(REPO / ".data" / "hf")))  # as config/settings.py
    manage = [sys.executable, str(REPO / "manage.py")]
    lm_eval = str(Path(sys.executable).parent / "lm_eval")
    platform, cli = [], []
    for _ in range(repeat):
        model = f"bench-org/tiny-{uuid.uuid4().hex[:8]}"
        sha = subprocess.run(
            [*manage, "make_tiny_model", model], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        with tempfile.TemporaryDirectory() as out:
            cli.append(
                timed(
                    [lm_eval, "--model", "hf", "--model_args", f"pretrained={model},revision={sha},dtype=float32",
                     "--tasks", TASKS, "--num_fewshot", "0", "--batch_size", "1", "--device", "cpu",
                     "--include_path", ".", "--log_samples", "--output_path", out],
                    cwd=PACK,
                )
            )  # fmt: skip
        platform.append(
            timed([*manage, "evaluate", model, "--revision", sha, "--suite", "demo-medical", "--sync"], cwd=REPO)
        )
        shutil.rmtree(hf_home / "hub" / f"models--{model.replace('/', '--')}", ignore_errors=True)
        print(f"  {model}: platform {platform[-1]:.1f} s, lm_eval CLI {cli[-1]:.1f} s", flush=True)
    p, c = statistics.median(platform), statistics.median(cli)
    print(f"manage.py evaluate --sync (load, harness, ingest): {p:.1f} s (median of {repeat})")
    print(f"lm_eval CLI --batch_size 1:                        {c:.1f} s (median of {repeat})")
    print(f"ratio platform / CLI: {p / c:.2f} (goal <= 1.0)")


if __name__ == "__main__":
    main()
