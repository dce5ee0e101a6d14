"""The sample browser with 1,000,000 logged samples: median and p99 latency and requests/s of its pages
(50 samples a page, filtered correct/incorrect, searched) under 20 concurrent clients, against gunicorn
with DEBUG off; also as ratios to a trivial request (a 404 page) served by the same gunicorn in the same
run. Goal: p99 under 50 ms. Measured as served (pages of finished runs cached per worker: their samples
never change) and with RANKING_CACHE_SECONDS=0 (every request queries and renders). Each list of URLs
spreads over 40 runs and 4 tasks, so the cached figures include first visits.

    python bench/samples.py [--clients 20] [--seconds 20] [--workers 3]

Uses (and on the first run seeds) the bench database of bench/ranking.py: 10,000 ranked models, the
first 100 with 1,112 samples on each of the 9 medical tasks (1,000,800 rows).
"""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ranking_load import Gunicorn, bench_arguments, load, page_size, report, seed, shell  # noqa: E402


def main():
    args = bench_arguments(__doc__)
    seed(args.models, "medical", args.samples_per_task, args.sample_models)
    total = shell("from evaluation.models import SampleLog; print(SampleLog.objects.count())")
    runs = shell(
        "from evaluation.models import SampleLog; "
        "print(*SampleLog.objects.order_by().values_list('run_id', flat=True).distinct()[:50])"
    ).split()
    tasks = ["medmcqa", "medqa_4options", "mmlu_anatomy", "pubmedqa_pqal"]
    rng = random.Random(0)
    pages = [f"/runs/{rng.choice(runs)}/samples/{rng.choice(tasks)}/?page={rng.randint(1, 22)}" for _ in range(40)]
    filtered = [
        f"/runs/{rng.choice(runs)}/samples/{rng.choice(tasks)}/?outcome={rng.choice(['correct', 'incorrect'])}"
        f"&page={rng.randint(1, 10)}"
        for _ in range(40)
    ]
    searched = [
        f"/runs/{rng.choice(runs)}/samples/{rng.choice(tasks)}/?q={rng.choice(['renal', 'fever+dose', 'nerve'])}"
        for _ in range(40)
    ]
    permalinks = [f"/runs/{rng.choice(runs)}/samples/{rng.choice(tasks)}/{rng.randint(0, 1111)}/" for _ in range(40)]
    results = {}
    for label, env in (("cached", {}), ("uncached", {"RANKING_CACHE_SECONDS": "0"})):
        with Gunicorn(args.workers, **env) as server:
            print(
                f"-- {label}: {total} samples; gunicorn with {args.workers} sync workers, DEBUG off; "
                f"{args.clients} concurrent clients, {args.seconds:g} s per figure"
            )
            if label == "cached":
                print(f"sample page: {page_size(server.url + pages[0]) / 1024:.0f} KiB (50 samples)")
            load(server.url, pages[:5], clients=args.workers, seconds=2)
            baseline = load(
                server.url, ["/no-such-page/"], clients=args.clients, seconds=args.seconds, statuses_ok=True
            )
            report("baseline: a 404 page", baseline, baseline)
            for name, paths in (
                ("pages", pages),
                ("correct/incorrect", filtered),
                ("search", searched),
                ("one sample (permalink)", permalinks),
            ):
                results[f"{name}, {label}"] = figures = load(
                    server.url, paths, clients=args.clients, seconds=args.seconds
                )
                report(f"samples: {name} ({label})", figures, baseline)
            one = load(server.url, pages, clients=1, seconds=args.seconds / 2)
            report(f"samples: pages, 1 client ({label})", one, baseline)
    for name, figures in results.items():
        verdict = "meets" if figures["p99_ms"] < 50 else "misses"
        print(f"goal p99 < 50 ms with {args.clients} clients: {name} {verdict} it ({figures['p99_ms']:.0f} ms)")


if __name__ == "__main__":
    main()
