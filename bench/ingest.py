"""Sample ingestion against a raw COPY: 100,000 logged samples, as lm-eval writes them, stored by
evaluation.ingest.results_ingest (read the JSONL, build rows, COPY into SampleLog with its unique key
and indexes), beside a raw COPY of the very same rows, prebuilt in memory, into a bare table (same
columns, no keys, no indexes) in the same run. Prints rows/s of both and their ratio (goal >= 0.5).

    .venv/bin/python bench/ingest.py [--rows 100000] [--repeat 3] [--pubmedqa FILE]

Documents are real PubMedQA records from the file ``--pubmedqa`` names (PubMedQA's ori_pqal.json), else
synthetic ones of the same shape and size. Runs on the bench database (DATA_DIR=.data/bench),
inside a transaction that is rolled back: the database is left as it was.
"""

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHOICES = ["yes", "no", "maybe"]
TASKS = 10


def documents(rng: random.Random, pubmedqa: Path | None) -> tuple[list[dict], str]:
    if pubmedqa is not None:
        records = json.loads(pubmedqa.read_text())
        return [{"pubid": pubid, **record} for pubid, record in records.items()], f"PubMedQA ({pubmedqa})"
    words = [
        "patients",
        "study",
        "cohort",
        "renal",
        "dose",
        "fever",
        "clinical",
        "trial",
        "outcome",
        "randomized",
        "mortality",
        "risk",
    ]

    def prose(n):
        return " ".join(rng.choice(words) for _ in range(n)).capitalize() + "."

    docs = [
        {
            "pubid": str(10_000_000 + i),
            "QUESTION": prose(14)[:-1] + "?",
            "CONTEXTS": [prose(60) for _ in range(3)],
            "LABELS": ["BACKGROUND", "METHODS", "RESULTS"],
            "MESHES": [prose(2) for _ in range(8)],
            "YEAR": str(2000 + i % 20),
            "reasoning_required_pred": "yes",
            "reasoning_free_pred": "yes",
            "final_decision": rng.choice(CHOICES),
            "LONG_ANSWER": prose(40),
        }
        for i in range(1000)
    ]
    return docs, "synthetic PubMedQA-like documents (no --pubmedqa file)"


def sample(doc_id: int, doc: dict, rng: random.Random) -> dict:
    """One line of samples_<task>_<date>.jsonl as lm-eval's EvaluationTracker writes it."""
    prompt = f"Abstract: {' '.join(doc['CONTEXTS'])}\nQuestion: {doc['QUESTION']}\nAnswer:"
    lls = [[[f"{-rng.uniform(0.5, 9):.6f}", "False"]] for _ in CHOICES]
    target = CHOICES.index(doc["final_decision"])
    acc = float(max(range(3), key=lambda i: float(lls[i][0][0])) == target)
    line = {
        "doc_id": doc_id,
        "doc": doc,
        "target": str(target),
        "arguments": {f"gen_args_{i}": {"arg_0": prompt, "arg_1": f" {c}"} for i, c in enumerate(CHOICES)},
        "resps": lls,
        "filtered_resps": [ll[0] for ll in lls],
        "filter": "none",
        "metrics": ["acc", "acc_norm"],
        "doc_hash": hashlib.sha256(json.dumps(doc).encode()).hexdigest(),
        "prompt_hash": hashlib.sha256(prompt.encode()).hexdigest(),
        "target_hash": hashlib.sha256(str(target).encode()).hexdigest(),
        "acc": acc,
        "acc_norm": acc,
    }
    return line


def write_output(folder: Path, rows: int, rng: random.Random, pubmedqa: Path | None):
    from evaluation.ingest import harness_output_read

    docs, source = documents(rng, pubmedqa)
    date = "2026-01-01T00-00-00.000000"
    per_task = rows // TASKS
    paths = []
    for t in range(TASKS):
        path = folder / f"samples_bench_task_{t}_{date}.jsonl"
        with open(path, "w", encoding="utf-8") as out:
            for doc_id in range(per_task):
                out.write(
                    json.dumps(sample(doc_id, docs[(t * per_task + doc_id) % len(docs)], rng), ensure_ascii=False)
                    + "\n"
                )
        paths.append(path)
    results = {
        "results": {
            f"bench_task_{t}": {"alias": f"bench_task_{t}", "acc,none": 0.5, "acc_stderr,none": 0.01}
            for t in range(TASKS)
        },
        "n-shot": {f"bench_task_{t}": 0 for t in range(TASKS)},
    }
    results_path = folder / f"results_{date}.json"
    results_path.write_text(json.dumps(results))
    return harness_output_read(results_path, paths), source, sum(p.stat().st_size for p in paths)


class Rollback(Exception):
    pass


def timed_in_rollback(work) -> float:
    from django.db import transaction

    started = time.perf_counter()
    try:
        with transaction.atomic():
            work()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pubmedqa", type=Path, help="PubMedQA's ori_pqal.json, for real documents")
    args = parser.parse_args()

    os.environ.setdefault("DATA_DIR", str(REPO / ".data" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    from catalogue.models import Suite
    from core.bulk import rows_copy
    from evaluation.ingest import SAMPLE_COLUMNS, results_ingest, sample_row
    from evaluation.models import EvalRun, SampleLog
    from submissions.models import ModelSubmission, Status

    call_command("migrate", "--noinput", verbosity=0)
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as folder:
        output, source, size = write_output(Path(folder), args.rows, rng, args.pubmedqa)
        rows = args.rows // TASKS * TASKS
        print(f"{rows:,} samples of {source}: {size / 2**20:.0f} MiB of JSONL in {TASKS} files")

        with transaction.atomic():
            suite = Suite.objects.create(slug=f"bench-ingest-{os.getpid()}", name="bench")
            submission = ModelSubmission.objects.create(
                model_id="bench/ingest", commit_sha="0" * 40, precision="float16", suite=suite, status=Status.RUNNING
            )
            run = EvalRun.objects.create(submission=submission)
            # The raw baseline: the same rows, already built, into a bare table of the same columns.
            prebuilt = [
                sample_row(run.pk, task, json.loads(line))
                for task, path in output.sample_files.items()
                for line in path.read_text(encoding="utf-8").split("\n")
                if line  # (not splitlines: the texts hold U+2028, which lm-eval writes raw)
            ]
            with connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE TABLE bench_bare_samples (LIKE {SampleLog._meta.db_table} INCLUDING DEFAULTS INCLUDING IDENTITY)"
                )

            def raw_copy():
                rows_copy(table="bench_bare_samples", columns=SAMPLE_COLUMNS, rows=prebuilt)

            def ingest():
                results_ingest(run, output)

            raw, ours = [], []
            for _ in range(args.repeat):
                raw.append(timed_in_rollback(raw_copy))
                ours.append(timed_in_rollback(ingest))
            transaction.set_rollback(True)

    raw_rate, our_rate = rows / statistics.median(raw), rows / statistics.median(ours)
    print(
        f"raw COPY into a bare table: {raw_rate:10,.0f} rows/s (median of {args.repeat}: {statistics.median(raw):.2f} s)"
    )
    print(
        f"results_ingest (SampleLog): {our_rate:10,.0f} rows/s (median of {args.repeat}: {statistics.median(ours):.2f} s)"
    )
    print(f"ratio ingest / raw COPY:    {our_rate / raw_rate:10.2f}   (goal >= 0.5)")


if __name__ == "__main__":
    main()
