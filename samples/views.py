import json
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from catalogue.models import SuiteTask
from core.pages import page_number
from evaluation.models import RunStatus
from rankings.views import cached_render
from samples.selectors import OUTCOMES, run_for_samples, sample_filters, sample_view, samples

SAMPLES_PER_PAGE = 50


def _run_or_404(run_id: int):
    found = run_for_samples(run_id)
    if found is None:
        raise Http404("No such run.")
    return found


def _model_url(model_id: str) -> str:
    return reverse("model", args=model_id.split("/", 1))


def _sample_links(run, suite_task, metric_filter) -> dict:
    """What a sample's permalink is made of: the task's sample list URL, then DOC_ID/, then the filter."""
    query = "" if metric_filter == suite_task.metric_filter else "?" + urlencode({"filter": metric_filter})
    return {"samples_url": reverse("samples", args=[run.pk, suite_task.task]), "filter_query": query}


def _suite_task(suite_tasks: list[SuiteTask], task: str) -> SuiteTask:
    for suite_task in suite_tasks:
        if suite_task.task == task:
            return suite_task
    raise Http404(f"The run's suite has no task {task}.")


def _metric_filter(request, suite_task, available: list[str]) -> str:
    """The lm-eval filter a sample page shows: the one asked for where the run logged it, else the suite's."""
    wanted = request.GET.get("filter") or suite_task.metric_filter
    if wanted not in available:
        wanted = suite_task.metric_filter if suite_task.metric_filter in available else (available or [""])[0]
    return wanted


def _cached_value(key: str, compute: Callable, *, keep: bool):
    """``compute()``, kept in the "ranking" cache RANKING_CACHE_SECONDS under ``key`` where ``keep`` says so."""
    if not (keep and settings.RANKING_CACHE_SECONDS):
        return compute()
    cache = caches["ranking"]
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, settings.RANKING_CACHE_SECONDS)
    return found


def run_samples(request, run_id, task=None):
    """A run's samples of one task, 50 a page. A finished run's samples never change: the rendered
    page is cached (keyed by the run's end and the parameters it reads)."""
    run, suite_tasks = _run_or_404(run_id)
    if task is None:
        if not suite_tasks:
            raise Http404("The run's suite has no tasks.")
        return redirect("samples", run_id, suite_tasks[0].task)
    suite_task = _suite_task(suite_tasks, task)

    outcome = request.GET.get("outcome", "")
    outcome = outcome if outcome in OUTCOMES else ""
    query = request.GET.get("q", "").strip()[:200]
    finished = run.finished_at.timestamp() if run.finished_at else 0
    keep = run.status == RunStatus.FINISHED
    base_key = f"samples:{run.pk}:{finished}:{suite_task.task}"
    filters_available = _cached_value(f"{base_key}:filters", lambda: sample_filters(run, suite_task.task), keep=keep)
    metric_filter = _metric_filter(request, suite_task, filters_available)
    asked_page = page_number(request.GET.get("page"))
    # What the body depends on, each as cleaned, and so its cache key: the task, the filter in force, the
    # outcome, the search and the page; other parameters (and other spellings of these) are ignored.
    asked = {
        key: value
        for key, value in [
            ("filter", "" if metric_filter == suite_task.metric_filter else metric_filter),
            ("outcome", outcome),
            ("q", query),
        ]
        if value
    }

    def render_body() -> str:
        rows = samples(run, suite_task, metric_filter, outcome=outcome, query=query)
        page = Paginator(rows, SAMPLES_PER_PAGE).get_page(asked_page)
        return render_to_string(
            "samples/_samples_body.html",
            {
                "run": run,
                "submission": run.submission,
                "suite_tasks": suite_tasks,
                "suite_task": suite_task,
                "metric_filter": metric_filter,
                "filters_available": filters_available,
                "outcome": outcome,
                "query": query,
                "page": page,
                "samples": [sample_view(sample, suite_task) for sample in page.object_list],
                "page_query": urlencode(asked),
                "model_url": _model_url(run.submission.model_id),
                **_sample_links(run, suite_task, metric_filter),
            },
            request=request,
        )

    body = cached_render(base_key, {**asked, "page": asked_page}, render_body, keep=keep)
    title = f"{suite_task.name} samples · {run.submission.model_id}"
    return render(request, "samples/samples.html", {"title": title, "body": body})


def sample_detail(request, run_id, task, doc_id):
    run, suite_tasks = _run_or_404(run_id)
    suite_task = _suite_task(suite_tasks, task)
    metric_filter = _metric_filter(request, suite_task, sample_filters(run, suite_task.task))
    sample = get_object_or_404(samples(run, suite_task, metric_filter), doc_id=doc_id)
    return render(
        request,
        "samples/sample.html",
        {
            "run": run,
            "submission": run.submission,
            "suite_task": suite_task,
            "metric_filter": metric_filter,
            "s": sample_view(sample, suite_task),
            "model_url": _model_url(run.submission.model_id),
            **_sample_links(run, suite_task, metric_filter),
            "doc": json.dumps(sample.doc, indent=2, ensure_ascii=False),
        },
    )
