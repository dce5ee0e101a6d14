from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from catalogue.models import Suite
from comparisons.selectors import (
    DISAGREEMENTS_PER_PAGE,
    MAX_COMPARED,
    CompareError,
    compare_candidates,
    compare_models_parse,
    comparison_for,
    disagreements_for,
)
from core.pages import page_number
from rankings.ranking_state import ranking_state
from rankings.selectors import suite_for_ranking
from rankings.views import cached_render


def compare(request):
    """Two to four models of a suite side by side, paired by question (see comparison_for), and the questions
    the first and one other (``b``) disagree on, by task (``task``), 50 a page; every choice is in the URL."""
    suites = Suite.objects.all()  # read only where a body is rendered
    slug = request.GET.get("suite") or None
    model_ids = compare_models_parse(request.GET.get("models", ""))
    context = {"suites": suites, "model_ids": model_ids, "max_models": MAX_COMPARED}
    try:
        compared = comparison_for(ranking_state(slug), model_ids, settings.RANKING_CACHE_SECONDS)
    except CompareError as exc:
        suite, _ = suite_for_ranking(slug) or (None, None)
        status = 200 if len(model_ids) < 2 else 400
        body = render_to_string(
            "comparisons/_compare_body.html", {**context, "suite": suite, "error": str(exc)}, request
        )
        return render(request, "comparisons/compare.html", {"body": body}, status=status)
    # The body depends on nothing but the comparison and these, each cleaned (the model compared with the
    # first one, the task whose disagreements are listed, the page): cached beside it.
    others = compared.entries[1:]
    asked_b = request.GET.get("b", "")
    b = next((entry for entry in others if entry.model_id == asked_b), others[0])
    pair = compared.result["comparisons"][others.index(b)]
    task = request.GET.get("task", "") if request.GET.get("task", "") in pair["tasks"] else ""
    last = 1
    if pair["paired"]:
        listed = sum(c["only_a"] + c["only_b"] for name, c in pair["tasks"].items() if c and task in ("", name))
        last = max(1, -(-listed // DISAGREEMENTS_PER_PAGE))
    page = min(page_number(request.GET.get("page")), last)
    asked = {"b": b.model_id, "task": task, "page": page}
    body = cached_render(compared.cache_key, asked, lambda: _compare_body(request, compared, context, asked), keep=True)
    return render(request, "comparisons/compare.html", {"body": body})


def _compare_body(request, compared, context: dict, asked: dict) -> str:
    suite, entries, result = compared.suite, compared.entries, compared.result
    suite_tasks = list(suite.tasks.all())
    others = entries[1:]
    b = next(entry for entry in others if entry.model_id == asked["b"])
    pair = result["comparisons"][others.index(b)]
    task = asked["task"] or None
    listed = None
    if pair["paired"]:
        total = sum(c["only_a"] + c["only_b"] for name, c in pair["tasks"].items() if c and task in (None, name))
        page = Paginator(range(total), DISAGREEMENTS_PER_PAGE).get_page(asked["page"])
        rows = disagreements_for(
            compared,
            suite_tasks,
            b,
            task=task,
            offset=max(page.start_index() - 1, 0),
            limit=DISAGREEMENTS_PER_PAGE,
            cache_seconds=settings.RANKING_CACHE_SECONDS,
        )
        names, a = {t.task: t.name for t in suite_tasks}, entries[0]
        listed = {
            "page": page,
            "rows": [  # written out here: the template's lookups cost more than the query, at 50 rows
                {
                    "task": row.task,
                    "name": names[row.task],
                    "doc_id": row.doc_id,
                    "prompt": row.prompt if len(row.prompt) <= 160 else f"{row.prompt[:159]}…",
                    "right": a.model_id if row.a_correct else b.model_id,
                    "a_url": reverse("sample", args=[a.run_id, row.task, row.doc_id]),
                    "b_url": reverse("sample", args=[b.run_id, row.task, row.doc_id]),
                }
                for row in rows
            ],
            "total": total,
        }
    table = [
        {
            "a": c["a"],
            "b": c["b"],
            "paired": c["paired"],
            "average": c["average"],
            "tasks": [(t, c["tasks"].get(t.task)) for t in suite_tasks],
        }
        for c in result["comparisons"]
    ]
    query = {
        "suite": suite.slug,
        "models": ",".join(result["models"]),
        "b": b.model_id,
        **({"task": task} if task else {}),
    }
    return render_to_string(
        "comparisons/_compare_body.html",
        {
            **context,
            "suite": suite,
            "entries": entries,
            "table": table,
            "b": b,
            "task": task,
            "listed": listed,
            "suite_tasks": suite_tasks,
            "page_query": urlencode(query),
            "b_query": urlencode({k: v for k, v in query.items() if k not in ("b", "task")}),
        },
        request,
    )


def compare_candidates_json(request):
    """The compare page's model picker: up to 20 models ranked on ``suite`` whose id contains ``q``."""
    suite = request.GET.get("suite", "")
    query = request.GET.get("q", "").strip()[:200]
    return JsonResponse({"models": compare_candidates(suite, query) if suite else []})
