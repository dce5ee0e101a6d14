import csv
import hashlib
import io
import json
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import caches
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

from rankings.filters import OPTIONAL_COLUMNS, checkbox_groups, ranking_query
from rankings.ranking import ranking
from rankings.ranking_state import per_version, ranking_state
from rankings.selectors import empty_suite_hint, suite_subjects


def cached_render(
    key: str, params: dict, render: Callable[[], str], *, keep: bool = True, cache: str = "ranking"
) -> str:
    """A body that depends on nothing but ``key`` and the cleaned parameters ``params`` (never the raw query
    string: junk parameters share one entry): from ``cache`` where a request left it, else ``render()``, kept
    RANKING_CACHE_SECONDS (0: nothing is cached) where ``keep`` says so."""
    if not settings.RANKING_CACHE_SECONDS:
        return render()
    cache = caches[cache]
    key = f"{key}:{hashlib.sha256(urlencode(params, doseq=True).encode()).hexdigest()}"
    body = cache.get(key)
    if body is None:
        body = render()
        if keep:
            cache.set(key, body, settings.RANKING_CACHE_SECONDS)
    return body


def leaderboard(request, slug=None):
    """The ranking page. Its body (tabs, filters, table: nothing per user) is cached under the suite's
    RankingVersion, which every change to the ranking bumps: a repeated view costs one query. The table and
    its counts are a part of their own (``#ranking-results``), which htmx asks for alone when a filter changes."""
    state = ranking_state(slug)
    request.GET = ranking_query(request.GET)  # what the body is keyed by and rendered from
    subject = request.GET.get("subject")

    def subjects() -> list[str]:  # kept under the ranking's version, which a new entry's subjects change
        return per_version(f"{state.cache_key}:subjects", lambda: suite_subjects(state.pk))

    if subject is not None and subject not in subjects():
        named = ", ".join(subjects()) if subjects() else f"none: no task of {state.name} has a breakdown by subject"
        return render(
            request,
            "400.html",
            {"message": f"{state.name} has no subject {subject!r}. Its subjects: {named}."},
            status=400,
        )
    ranked = None

    def ranked_view():
        nonlocal ranked
        if ranked is None:
            ranked = ranking(request.GET, state.slug, version=state.cache_key)
        return ranked

    def render_results() -> str:
        query = request.GET.copy()
        query.pop("page", None)
        return render_to_string(
            "rankings/_ranking_results.html",
            {
                "suite": ranked_view().suite,
                "table": ranked_view().table(request),
                "filter": ranked_view().filters,
                "options": ranked_view().options,
                "export_query": query.urlencode(),
                "empty_hint": lambda: empty_suite_hint(ranked_view().suite),  # asked for only for an empty table
            },
            request=request,
        )

    def results() -> str:  # the body holds it: a cached body needs no look-up of its own
        return cached_render(f"{state.cache_key}:results", request.GET, render_results)

    if request.htmx.target == "ranking-results" and not request.htmx.history_restore_request:
        response = HttpResponse(results())
        patch_vary_headers(response, ["HX-Request", "HX-Target"])
        return response

    def render_body() -> str:
        return render_to_string(
            "rankings/_ranking_body.html",
            {
                "suite": ranked_view().suite,
                "tabs": state.tabs(),
                "filter": ranked_view().filters,
                "groups": checkbox_groups(ranked_view().filters, ranked_view().display, request.GET),
                "options": ranked_view().options,
                "subjects": subjects() if any(t.breakdown for t in ranked_view().suite_tasks) else [],
                "results": mark_safe(results()),
            },
            request=request,
        )

    body = cached_render(state.cache_key, request.GET, render_body)
    response = render(request, "rankings/ranking.html", {"title": state.name, "body": body})
    patch_vary_headers(response, ["HX-Request", "HX-Target"])
    return response


def leaderboard_json(request, slug):
    """The ranked submissions of a filtered view (reference rows are not submissions): the visible tasks,
    their scores and the average as the page shows them. Cached like the CSV."""
    state = ranking_state(slug)
    request.GET = ranking_query(request.GET, paging=False)

    def render_json() -> str:
        ranked = ranking(request.GET, state.slug)
        rows = [
            {
                "model": row.model,
                "revision": row.revision,
                "precision": row.precision,
                "scores": row.scores,
                "average": row.average,
                "ci": row.ci,
                "average_ci": row.average_ci,
                "rank_band": row.rank_band,
                "comparable": row.comparable,
            }
            for row in ranked.rows(request, references=False)
        ]
        return json.dumps({"suite": ranked.suite.slug, "tasks": [t.task for _, t in ranked.visible], "rows": rows})

    body = cached_render(f"{state.cache_key}:json", request.GET, render_json, cache="default")
    return HttpResponse(body, content_type="application/json")


def _csv_cell(value):
    """Numbers as they are; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def leaderboard_csv(request, slug):
    """The ranking as the page shows it, every row. Exports are kept in the shared database cache (not the
    processes' memory) under the ranking's version and the cleaned parameters."""
    state = ranking_state(slug)
    request.GET = ranking_query(request.GET, paging=False)
    body = cached_render(
        f"{state.cache_key}:csv", request.GET, lambda: _ranking_csv(request, state.slug), cache="default"
    )
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{state.slug}-ranking.csv"'
    return response


def _ranking_csv(request, slug) -> str:
    ranked = ranking(request.GET, slug)
    response = io.StringIO()
    writer = csv.writer(response)
    optional = [(key, label) for key, label, _ in OPTIONAL_COLUMNS if key in ranked.columns]
    tasks = [t.name for _, t in ranked.visible]
    intervals = [f"{name} 95% {end}" for name in tasks for end in ("low", "high")]
    writer.writerow(
        [
            "rank",
            "model",
            "reference",
            "flagged",
            "average",
            *tasks,
            *[label for _, label in optional],
            "rank best",
            "rank worst",
            "average 95% low",
            "average 95% high",
            *intervals,
        ]
    )
    values = {
        "model_type": lambda e: e.model_type,
        "architecture": lambda e: e.architecture,
        "weight_type": lambda e: e.weight_type,
        "precision": lambda e: e.precision,
        "license": lambda e: e.license,
        "params": lambda e: e.params_billions,
        "likes": lambda e: e.likes,
        "on_hub": lambda e: e.on_hub,
        "sha": lambda e: e.commit_sha,
        "submitted": lambda e: e.submitted_at.date().isoformat(),
        "format_gap": lambda e: e.format_gap,
        "co2": lambda e: e.co2_g,
    }
    for row in ranked.rows(request):
        metadata = [values[key](row.entry) for key, _ in optional]
        ci = [end for interval in row.ci.values() for end in (interval or [None, None])]
        cells = [
            row.rank,
            row.model,
            row.reference,
            row.flagged,
            row.average,
            *row.scores.values(),
            *metadata,
            *(row.rank_band or [None, None]),
            *(row.average_ci or [None, None]),
            *ci,
        ]
        writer.writerow([_csv_cell(value) for value in cells])
    return response.getvalue()
