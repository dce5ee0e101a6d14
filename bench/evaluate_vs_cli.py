"""manage.py evaluate --sync against the bare lm_eval CLI, with a tiny model on CPU, on two packs: the demo suite
as it ships (12-16 questions per task), and the same nine tasks on 100 real-sized questions each.

The 100-question pack is made here, in DATA_DIR/bench_medical_100, as a suite of its own (bench-medical-100):
PubMedQA takes the first 100 expert-labelled records of the file ``--pubmedqa`` names (PubMedQA's
ori_pqal.json; without it, the demo's PubMedQA records are repeated like the rest); the other tasks
repeat the demo's questions (real exam questions of real length) as 100 distinct documents. The CLI gets the seed leaderboard's reproduction flags (--batch_size 1, 0-shot) plus
--log_samples, since the platform stores every sample too. Both evaluate the same freshly built model.
Prints both wall times and their ratio per pack (goal: platform / CLI <= 1.0).

    make bench        (or: .venv/bin/python bench/evaluate_vs_cli.py [--repeat N] [--pack demo|100] [--pubmedqa FILE])
"""

import argparse
import json
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
QUESTIONS = 100
TASKS = (
    "demo_medmcqa,demo_medqa_4options,demo_mmlu_anatomy,demo_mmlu_clinical_knowledge,demo_mmlu_college_biology,"
    "demo_mmlu_college_medicine,demo_mmlu_medical_genetics,demo_mmlu_professional_medicine,demo_pubmedqa"
)


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def make_pack_100(pack: Path, pubmedqa: Path | None) -> Path:
    """The demo pack with 100 questions per task in ``pack``, and its suite file there; returns the suite file."""
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("__pycache__"))
    repeated = [
        pack / "data" / "medmcqa.jsonl",
        pack / "data" / "medqa_4options.jsonl",
        *sorted((pack / "data" / "mmlu").glob("*_test.jsonl")),
    ]
    if pubmedqa is None:
        print("no --pubmedqa file: PubMedQA repeats the demo pack's records")
        repeated.append(pack / "data" / "pubmedqa.jsonl")
    for data in repeated:
        docs = [json.loads(line) for line in data.read_text().splitlines() if line.strip()]
        question = next(key for key in ("sent1", "QUESTION", "question") if key in docs[0])
        more = []
        for i in range(QUESTIONS):
            doc = dict(docs[i % len(docs)])
            doc[question] = f"(Question {i + 1}) {doc[question]}"
            for key in ("id", "pubid"):
                if key in doc:
                    doc[key] = f"bench-{i:05d}"
            more.append(doc)
        data.write_text("".join(json.dumps(doc) + "\n" for doc in more))
    if pubmedqa is not None:
        records = json.loads(pubmedqa.read_text())
        pubmedqa = [{"pubid": pubid, **record} for pubid, record in list(records.items())[:QUESTIONS]]
        (pack / "data" / "pubmedqa.jsonl").write_text("".join(json.dumps(doc) + "\n" for doc in pubmedqa))
    suite = (REPO / "catalogue" / "suites" / "demo-medical.yaml").read_text()
    suite = suite.replace("slug: demo-medical", "slug: bench-medical-100", 1)
    suite = suite.replace("name: Medical Demo (offline)", f"name: Medical bench ({QUESTIONS} questions per task)", 1)
    suite = suite.replace("  - evaluation/task_packs/demo_medical", f"  - {pack}", 1)
    suite_file = pack / "bench-medical-100.suite.yaml"
    suite_file.write_text(suite)
    return suite_file


def run_pack(name: str, pack: Path, suite: str, repeat: int, manage: list[str], lm_eval: str, hf_home: Path) -> None:
    platform, cli = [], []
    for _ in range(repeat):
        model = f"bench-org/tiny-{uuid.uuid4().hex[:8]}"
        sha = subprocess.run(
            [*manage, "make_tiny_model", model], cwd=REPO, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
        with tempfile.TemporaryDirectory() as out:
            cli.append(
                timed(
                    [
                        lm_eval,
                        "--model",
                        "hf",
                        "--model_args",
                        f"pretrained={model},revision={sha},dtype=float32",
                        "--tasks",
                        TASKS,
                        "--num_fewshot",
                        "0",
                        "--batch_size",
                        "1",
                        "--device",
                        "cpu",
                        "--include_path",
                        ".",
                        "--log_samples",
                        "--output_path",
                        out,
                    ],
                    cwd=pack,
                )
            )
        platform.append(timed([*manage, "evaluate", model, "--revision", sha, "--suite", suite, "--sync"], cwd=REPO))
        shutil.rmtree(hf_home / "hub" / f"models--{model.replace('/', '--')}", ignore_errors=True)
        print(f"  {name}, {model}: platform {platform[-1]:.1f} s, lm_eval CLI {cli[-1]:.1f} s", flush=True)
    p, c = statistics.median(platform), statistics.median(cli)
    print(f"{name}:")
    print(f"  manage.py evaluate --sync (checks, load, harness, ingest): {p:.1f} s (median of {repeat})")
    print(f"  lm_eval CLI --batch_size 1:                                {c:.1f} s (median of {repeat})")
    print(f"  ratio platform / CLI: {p / c:.2f} (goal <= 1.0)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--pack", choices=["demo", "100", "both"], default="both")
    parser.add_argument("--pubmedqa", type=Path, help="PubMedQA's ori_pqal.json, for real PubMedQA records")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    hf_home = Path(os.environ.setdefault("HF_HOME", str(REPO / ".data" / "hf")))  # as config/settings/base.py
    manage = [sys.executable, str(REPO / "manage.py")]
    lm_eval = str(Path(sys.executable).parent / "lm_eval")
    if args.pack in ("demo", "both"):
        run_pack("demo pack (12-16 questions per task)", PACK, "demo-medical", args.repeat, manage, lm_eval, hf_home)
    if args.pack in ("100", "both"):
        # kept after the bench, in a folder of its own: the suite's runs point at it
        pack = Path(os.environ.get("DATA_DIR", REPO / ".data")) / "bench_medical_100"
        shutil.rmtree(pack, ignore_errors=True)
        suite_file = make_pack_100(pack, args.pubmedqa)
        subprocess.run([*manage, "load_suites", str(suite_file)], cwd=REPO, check=True, capture_output=True)
        run_pack(f"{QUESTIONS} questions per task", pack, "bench-medical-100", args.repeat, manage, lm_eval, hf_home)


if __name__ == "__main__":
    main()
