"""Importing a Gradio leaderboard's history: N models' results and requests datasets (synthetic, in the
template's format) imported by `manage.py import_leaderboard` into a fresh database, against a baseline
measured in the same run: a bare json.load of every file. Goal: 10,000 models in under 60 s.

    .venv/bin/python bench/import_leaderboard.py [--models 10000] [--keep DIR]

The datasets: one request per model (97% FINISHED, 1% each PENDING, RUNNING, FAILED), one results file
per finished model and a second, newer one for 5% of them (re-runs), a fifth with the bare metric names of
older harnesses, PubMedQA under the harness's name `pubmedqa` (the medical suite's alias). They are written
to a temporary folder (or --keep DIR, to import by hand). The database is `bench_import_leaderboard` on the
bench server (DATA_DIR=.data/bench), dropped and created again on every run.
"""

import argparse
import io
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATABASE = "bench_import_leaderboard"
TASKS = [
    "medmcqa",
    "medqa_4options",
    "mmlu_anatomy",
    "mmlu_clinical_knowledge",
    "mmlu_college_biology",
    "mmlu_college_medicine",
    "mmlu_medical_genetics",
    "mmlu_professional_medicine",
    "pubmedqa",
]
DTYPES = {"float16": "torch.float16", "bfloat16": "torch.bfloat16", "float32": "torch.float32"}
MODEL_TYPES = ["🟢 : pretrained", "🔶 : fine-tuned", "⭕ : instruction-tuned", "🟦 : RL-tuned"]
LICENSES = ["apache-2.0", "mit", "llama2", "llama3", "gemma", "cc-by-nc-4.0", "other"]
SIZES = [0.5, 1.1, 1.5, 2.7, 3.8, 7.2, 8.0, 13.0, 14.0, 34.0, 46.7, 70.0]


def results_file(model: str, sha: str, dtype: str, when: datetime, quality: float, rng, bare: bool) -> dict:
    """What the template's backend writes when an evaluation ends (lm-eval's results, trimmed by it)."""
    acc, stderr = ("acc", "acc_stderr") if bare else ("acc,none", "acc_stderr,none")
    results = {}
    for task in TASKS:
        value = min(1.0, max(0.0, quality + rng.gauss(0, 0.06)))
        results[task] = {"alias": task, acc: value, stderr: round(rng.uniform(0.005, 0.04), 6)}
        if not bare:
            results[task].update({"acc_norm,none": value, "acc_norm_stderr,none": results[task][stderr]})
    return {
        "config": {
            "model_dtype": dtype,
            "model_name": model,
            "model_sha": sha,
            "model_args": f"pretrained={model},revision={sha},dtype={dtype.removeprefix('torch.')}",
            "batch_size": "auto",
            "device": "cuda:0",
            "limit": None,
        },
        "results": results,
        "versions": {task: 1.0 for task in TASKS},
        "n-shot": {task: 0 for task in TASKS},
        "date": when.timestamp(),
    }


def generate(root: Path, models: int, seed: int = 0) -> dict:
    """Write the two datasets under root/results and root/requests; returns what was written."""
    rng = random.Random(seed)
    now = datetime(2025, 6, 1, tzinfo=UTC)
    written = {"results": 0, "requests": 0, "bytes": 0}

    def write(path: Path, data: dict) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(data, indent=2)
        path.write_text(text)
        written["bytes"] += len(text)

    for i in range(models):
        org, name = f"org{i % 400}", f"medical-model-{i}-{rng.choice(SIZES):g}b"
        model = f"{org}/{name}"
        precision = rng.choice(list(DTYPES))
        weight_type = "Adapter" if rng.random() < 0.05 else "Original"
        submitted = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        draw = rng.random()
        status = "FINISHED" if draw < 0.97 else "PENDING" if draw < 0.98 else "RUNNING" if draw < 0.99 else "FAILED"
        request = {
            "model": model,
            "base_model": "org0/base-model" if weight_type == "Adapter" else "",
            "revision": "main",
            "private": False,
            "precision": precision,
            "weight_type": weight_type,
            "status": status,
            "submitted_time": submitted.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "model_type": rng.choice(MODEL_TYPES),
            "likes": int(rng.lognormvariate(2, 1.5)),
            "params": rng.choice(SIZES),
            "license": rng.choice(LICENSES),
        }
        write(root / "requests" / org / f"{name}_eval_request_False_{precision}_{weight_type}.json", request)
        written["requests"] += 1
        if status != "FINISHED":
            continue
        quality = 0.3 + 0.4 * rng.random()
        bare = rng.random() < 0.2
        for rerun in range(2 if rng.random() < 0.05 else 1):
            when = submitted + timedelta(hours=6 + 24 * 30 * rerun, microseconds=rng.randrange(10**6))
            sha = f"{rng.getrandbits(160):040x}"
            data = results_file(model, sha, DTYPES[precision], when, quality + 0.02 * rerun, rng, bare)
            write(root / "results" / org / name / f"results_{when:%Y-%m-%dT%H-%M-%S.%f}.json", data)
            written["results"] += 1
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="write the datasets here and keep them")
    args = parser.parse_args()

    os.environ.setdefault("DATA_DIR", str(REPO / ".data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:  # a fresh database on the bench server
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    connection.close()
    connection.settings_dict["NAME"] = DATABASE
    call_command("migrate", "--noinput", verbosity=0)
    call_command("load_suites", stdout=io.StringIO())

    with tempfile.TemporaryDirectory() as temporary:
        root = args.keep or Path(temporary)
        started = time.perf_counter()
        written = generate(root, args.models)
        print(
            f"{args.models:,} models: {written['results']:,} results files and {written['requests']:,} request files, "
            f"{written['bytes'] / 2**20:.0f} MiB, written in {time.perf_counter() - started:.1f} s"
        )

        started = time.perf_counter()
        for folder in ("results", "requests"):
            for path in (root / folder).rglob("*.json"):
                with open(path, encoding="utf-8") as file:
                    json.load(file)
        baseline = time.perf_counter() - started
        print(f"baseline, a bare json.load of every file:   {baseline:6.1f} s")

        def timed_import() -> tuple[float, str]:
            out = io.StringIO()
            started = time.perf_counter()
            call_command(
                "import_leaderboard",
                "--results",
                str(root / "results"),
                "--requests",
                str(root / "requests"),
                "--suite",
                "medical",
                stdout=out,
                stderr=out,
            )
            return time.perf_counter() - started, out.getvalue().strip()

        first, said = timed_import()
        print(f"import_leaderboard into an empty database: {first:6.1f} s  ({first / baseline:.1f}× the baseline)")
        print(f"  {said}")
        again, said = timed_import()
        print(f"the same import again (nothing new):       {again:6.1f} s  ({again / baseline:.1f}× the baseline)")
        print(f"  {said}")
    verdict = "meets" if first < 60 else "misses"
    print(f"goal: {args.models:,} models in under 60 s: {verdict} it ({first:.1f} s)")


if __name__ == "__main__":
    main()
