from django.http import JsonResponse
from django.shortcuts import render

from evaluation.models import Suite
from leaderboard.selectors import ranking, suite_for_ranking
from leaderboard.tables import ranking_table


def leaderboard(request, slug=None):
    suite, suite_tasks = suite_for_ranking(slug)
    table = ranking_table(suite_tasks, ranking(suite, suite_tasks), request)
    return render(
        request,
        "leaderboard/ranking.html",
        {"suite": suite, "suites": Suite.objects.all(), "table": table},
    )


def leaderboard_json(request, slug):
    suite, suite_tasks = suite_for_ranking(slug)
    tasks = [t.task for t in suite_tasks]
    rows = [
        {
            "model": entry.model_id,
            "revision": entry.commit_sha,
            "precision": entry.precision,
            "scores": {task: entry.scores[task] for task in tasks},
            "average": entry.average,
        }
        for entry in ranking(suite, suite_tasks)
    ]
    return JsonResponse({"suite": suite.slug, "tasks": tasks, "rows": rows})
