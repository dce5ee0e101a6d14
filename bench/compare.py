"""Comparing four models paired by question (GET /api/compare/SLUG/?models=a,b,c,d and the /compare/ page):
median and p99 latency of one client asking again and again, against gunicorn with DEBUG off, also as
ratios to a trivial request (a 404 page) served by the same gunicorn in the same run. Goals: under 300 ms
uncached (RANKING_CACHE_SECONDS=0: every request counts the three pairs in Postgres) and under 30 ms cached.

    python bench/compare.py [--seconds 20] [--workers 3]

Uses (and on the first run seeds) the bench database of bench/ranking.py: 10,000 ranked models on the
medical suite, the first 100 with 1,112 logged samples on each of its 9 tasks (10,008 questions a model,
more than the 7,000 the goal names). Each URL compares four of those models, 12 combinations in all; the
cached figures are measured once every worker process has counted each of them (the "ranking" cache is per
process), the uncached ones count the pairs at every request.
"""

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ranking_load import Gunicorn, bench_arguments, load, report, seed, shell  # noqa: E402

SUITE = "medical"


def main():
    args = bench_arguments(__doc__)
    seed(args.models, SUITE, args.samples_per_task, args.sample_models)
    models = shell(
        "from evaluation.models import SampleLog; from rankings.models import LeaderboardEntry as E; "
        "runs = SampleLog.objects.order_by().values_list('run_id', flat=True).distinct()[:40]; "
        "print(*E.objects.filter(run_id__in=list(runs)).values_list('model_id', flat=True))"
    ).split()
    questions = shell(
        f"from evaluation.models import SampleLog; from rankings.models import LeaderboardEntry as E; "
        f"print(SampleLog.objects.filter(run_id=E.objects.get(model_id='{models[0]}', suite__slug='{SUITE}').run_id).count())"
    )
    rng = random.Random(0)
    sets = [",".join(rng.sample(models, 4)) for _ in range(12)]
    api = [f"/api/compare/{SUITE}/?models={chosen}" for chosen in sets]
    pages = [f"/compare/?suite={SUITE}&models={chosen}" for chosen in sets]
    results = {}
    # DRF counts anonymous clients in both throttles and keeps each one's request times of the window in the cache: a
    # one-second window keeps that list as short as a production rate would
    env = {"API_THROTTLE_ANON": "1000000/s", "API_THROTTLE_USER": "1000000/s"}
    for label, extra in (("cached", {}), ("uncached", {"RANKING_CACHE_SECONDS": "0"})):
        with Gunicorn(args.workers, **env, **extra) as server:
            print(
                f"-- {label}: four models of {len(models)} with samples, {questions} questions each; gunicorn with "
                f"{args.workers} sync workers, DEBUG off; 1 client, {args.seconds:g} s per figure"
            )
            # every worker warmed on both views (templates compiled, the samples' index read once); cached: each
            # comparison counted once per worker, then read from its cache
            load(server.url, api + pages, clients=args.workers, seconds=args.seconds if label == "cached" else 5)
            baseline = load(server.url, ["/no-such-page/"], clients=1, seconds=args.seconds / 2, statuses_ok=True)
            report("baseline: a 404 page", baseline, baseline)
            for name, paths in (("API, four models", api), ("compare page, four models", pages)):
                results[f"{name}, {label}"] = figures = load(server.url, paths, clients=1, seconds=args.seconds)
                report(f"{name} ({label})", figures, baseline)
    for name, figures in results.items():
        goal = 30 if name.endswith(", cached") else 300
        verdict = "meets" if figures["p99_ms"] < goal else "misses"
        print(
            f"goal p99 < {goal} ms: {name} {verdict} it ({figures['p99_ms']:.0f} ms, median {figures['median_ms']:.0f} ms)"
        )


if __name__ == "__main__":
    main()
