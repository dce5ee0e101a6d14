import csv
import hashlib
import io
import json
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from catalogue.models import Suite, SuiteTask
from evaluation.models import RunStatus
from leaderboard import about as about_facts
from leaderboard.filters import OPTIONAL_COLUMNS, checkbox_groups, ranking_query
from leaderboard.format_gap import format_gaps
from leaderboard.forms import CommentForm, FlagForm
from leaderboard.models import Flag, FlagStatus
from leaderboard.ranking_state import per_version, ranking_state, suite_tabs
from leaderboard.selectors import (
    DISAGREEMENTS_PER_PAGE,
    MAX_COMPARED,
    OUTCOMES,
    CompareError,
    compare_candidates,
    compare_models_parse,
    comparison_for,
    disagreements_for,
    empty_suite_hint,
    flags_public,
    model_flags,
    model_rankings,
    model_submissions,
    ranking,
    run_for_samples,
    sample_filters,
    sample_view,
    samples,
    score_against_size,
    score_distribution,
    suite_for_ranking,
    suite_subjects,
    top_score_history,
)
from leaderboard.services import LeaderboardError, flag_comment_add, flag_create

SAMPLES_PER_PAGE = 50


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
            "leaderboard/_ranking_results.html",
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
            "leaderboard/_ranking_body.html",
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
    response = render(request, "leaderboard/ranking.html", {"title": state.name, "body": body})
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


def plots(request, slug):
    suite, suite_tasks = suite_for_ranking(slug)
    return render(
        request,
        "leaderboard/plots.html",
        {
            "suite": suite,
            "tabs": suite_tabs(),
            "history": top_score_history(suite),
            "distribution": score_distribution(suite, suite_tasks),
            "sizes": score_against_size(suite),
        },
    )


def _run_download_url(run) -> str:
    """The evaluation app's download of a run's files, where it has one."""
    try:
        return reverse("run-download", args=[run.pk])
    except NoReverseMatch:
        return ""


def model_page(request, org, name):
    model_id = f"{org}/{name}"
    submissions = model_submissions(model_id)
    runs = [
        (submission, run, _run_download_url(run), json.dumps(run.record, indent=2, ensure_ascii=False))
        for submission in submissions
        for run in submission.runs.all()
    ]
    rankings = model_rankings(model_id)
    chart = [
        {
            "suite": ranked.entry.suite.name,
            "tasks": [
                {"name": s.suite_task.name, "score": s.value, "ci": s.ci, "median": s.median} for s in ranked.scores
            ],
        }
        for ranked in rankings
    ]
    return render(
        request,
        "leaderboard/model.html",
        {
            "model_id": model_id,
            "org": org,
            "name": name,
            "latest": submissions[0],
            "rankings": rankings,
            "format_gaps": format_gaps([(r.entry.run_id, [s.suite_task for s in r.scores]) for r in rankings]),
            "runs": runs,
            "flags": model_flags(model_id),
            "chart": chart,
        },
    )


@login_required
def flag_new(request, org, name):
    model_id = f"{org}/{name}"
    model_submissions(model_id)  # 404 for a model never submitted
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag = flag_create(user=request.user, model_id=model_id, **form.cleaned_data)
        except LeaderboardError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Thank you: your flag on {model_id} is open for the moderators to review.")
            return redirect("flag", flag.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "leaderboard/flag_form.html",
        {"form": form, "model_id": model_id, "org": org, "name": name},
        status=status,
    )


def flag_detail(request, pk, form=None):
    flag = get_object_or_404(Flag.objects.select_related("user", "moderator"), pk=pk)
    org, name = flag.model_id.split("/", 1)
    return render(
        request,
        "leaderboard/flag_detail.html",
        {
            "flag": flag,
            "org": org,
            "name": name,
            "comments": flag.comments.select_related("user"),
            "form": form or CommentForm(),
        },
        status=400 if form is not None else 200,
    )


@login_required
@require_POST
def flag_comment(request, pk):
    flag = get_object_or_404(Flag, pk=pk)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            flag_comment_add(flag=flag, user=request.user, text=form.cleaned_data["text"])
        except LeaderboardError as exc:
            form.add_error(exc.field, exc.message)
        else:
            return redirect(f"{reverse('flag', args=[pk])}#comments")
    return flag_detail(request, pk, form=form)


def flags(request):
    page = Paginator(flags_public(), 50).get_page(request.GET.get("page"))
    return render(request, "leaderboard/flags.html", {"page": page, "FlagStatus": FlagStatus})


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


def _page_number(value) -> int:
    """A page number as asked, cleaned: any spelling that is not a positive integer is page 1."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return 1
    return max(number, 1)


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
    run, suite_tasks = run_for_samples(run_id)
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
    page_number = _page_number(request.GET.get("page"))
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
        page = Paginator(rows, SAMPLES_PER_PAGE).get_page(page_number)
        return render_to_string(
            "leaderboard/_samples_body.html",
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

    body = cached_render(base_key, {**asked, "page": page_number}, render_body, keep=keep)
    title = f"{suite_task.name} samples · {run.submission.model_id}"
    return render(request, "leaderboard/samples.html", {"title": title, "body": body})


def sample_detail(request, run_id, task, doc_id):
    run, suite_tasks = run_for_samples(run_id)
    suite_task = _suite_task(suite_tasks, task)
    metric_filter = _metric_filter(request, suite_task, sample_filters(run, suite_task.task))
    sample = get_object_or_404(samples(run, suite_task, metric_filter), doc_id=doc_id)
    return render(
        request,
        "leaderboard/sample.html",
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


def about(request):
    suites = [(suite, about_facts.datasets(list(suite.tasks.all()))) for suite in Suite.objects.all()]
    default = Suite.objects.filter(slug=settings.DEFAULT_SUITE).first() or Suite.objects.first()
    return render(
        request,
        "leaderboard/about.html",
        {
            "suites": suites,
            "command": about_facts.reproduce_command(default),
            "citation": about_facts.CITATION,
            "statistics": about_facts.statistics_methods(),
        },
    )


def compare(request):
    """Two to four models of a suite side by side, paired by question (see comparison_for), and the questions
    the first and one other (``b``) disagree on, by task (``task``), 50 a page; every choice is in the URL."""
    suites = Suite.objects.all()  # read only where a body is rendered
    slug = request.GET.get("suite") or None
    model_ids = compare_models_parse(request.GET.get("models", ""))
    context = {"suites": suites, "model_ids": model_ids, "max_models": MAX_COMPARED}
    try:
        compared = comparison_for(slug, model_ids, settings.RANKING_CACHE_SECONDS)
    except CompareError as exc:
        suite, _ = suite_for_ranking(slug)
        status = 200 if len(model_ids) < 2 else 400
        body = render_to_string(
            "leaderboard/_compare_body.html", {**context, "suite": suite, "error": str(exc)}, request
        )
        return render(request, "leaderboard/compare.html", {"body": body}, status=status)
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
    page = min(_page_number(request.GET.get("page")), last)
    asked = {"b": b.model_id, "task": task, "page": page}
    body = cached_render(compared.cache_key, asked, lambda: _compare_body(request, compared, context, asked), keep=True)
    return render(request, "leaderboard/compare.html", {"body": body})


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
        "leaderboard/_compare_body.html",
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
