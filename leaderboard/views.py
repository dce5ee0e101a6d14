import csv
import hashlib
import json
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
from django.views.decorators.http import require_POST

from evaluation.models import RunStatus, Suite, SuiteTask
from leaderboard import about as about_facts
from leaderboard.filters import OPTIONAL_COLUMNS, checkbox_groups
from leaderboard.forms import CommentForm, FlagForm
from leaderboard.models import Flag, FlagStatus
from leaderboard.ranked import ranking_request
from leaderboard.selectors import (
    flags_public,
    model_flags,
    model_rankings,
    model_submissions,
    ranking_state,
    run_for_samples,
    sample_filters,
    sample_view,
    samples,
    score_distribution,
    score_field,
    suite_for_ranking,
    top_score_history,
)
from leaderboard.services import LeaderboardError, flag_comment_add, flag_create
from leaderboard.tables import ranking_table

SAMPLES_PER_PAGE = 50


def leaderboard(request, slug=None):
    """The ranking page. Its body (tabs, filters, table: nothing per user) is cached under the suite's
    RankingVersion, which every change to the ranking bumps: a repeated view costs one query."""
    state = ranking_state(slug)
    key = f"{state.cache_key}:{hashlib.sha256(request.get_full_path().encode()).hexdigest()}"
    cache = caches["ranking"]
    body = cache.get(key) if settings.RANKING_CACHE_SECONDS else None
    if body is None:
        ranked = ranking_request(request.GET, state.slug)
        table = ranking_table(ranked.suite_tasks, ranked.rows, request, ranked.options, ranked.columns)
        query = request.GET.copy()
        query.pop("page", None)
        body = render_to_string(
            "leaderboard/_ranking_body.html",
            {
                "suite": ranked.suite,
                "suites": Suite.objects.all(),
                "table": table,
                "filter": ranked.filters,
                "groups": checkbox_groups(ranked.filters, ranked.display, request.GET),
                "options": ranked.options,
                "export_query": query.urlencode(),
            },
            request=request,
        )
        if settings.RANKING_CACHE_SECONDS:
            cache.set(key, body, settings.RANKING_CACHE_SECONDS)
    return render(request, "leaderboard/ranking.html", {"title": state.name, "body": body})


def leaderboard_json(request, slug):
    """The ranked submissions of a filtered view (reference rows are not submissions): the visible tasks,
    their scores and the average as the page shows them."""
    ranked = ranking_request(request.GET, slug)
    visible = ranked.options.visible(ranked.suite_tasks)
    rows = [
        {
            "model": entry.model_id,
            "revision": entry.commit_sha,
            "precision": entry.precision,
            "scores": {t.task: getattr(entry, score_field(i)) for i, t in visible},
            "average": entry.avg,
        }
        for entry in ranked.ordered(request).filter(is_reference=False)
    ]
    return JsonResponse({"suite": ranked.suite.slug, "tasks": [t.task for _, t in visible], "rows": rows})


def _csv_cell(value):
    """Numbers as they are; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def leaderboard_csv(request, slug):
    ranked = ranking_request(request.GET, slug)
    visible = ranked.options.visible(ranked.suite_tasks)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{ranked.suite.slug}-ranking.csv"'
    writer = csv.writer(response)
    optional = [(key, label) for key, label, _ in OPTIONAL_COLUMNS if key in ranked.columns]
    writer.writerow(["rank", "model", "reference", "flagged", "average", *[t.name for _, t in visible],
                     *[label for _, label in optional]])  # fmt: skip
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
    }
    for entry in ranked.ordered(request):
        row = [
            "" if entry.is_reference or entry.flag_id else entry.shown_rank,
            entry.model_id,
            entry.is_reference,
            entry.flag_id is not None,
            entry.avg,
            *[getattr(entry, score_field(i)) for i, _ in visible],
            *[values[key](entry) for key, _ in optional],
        ]
        writer.writerow([_csv_cell(value) for value in row])
    return response


def plots(request, slug):
    suite, suite_tasks = suite_for_ranking(slug)
    return render(
        request,
        "leaderboard/plots.html",
        {
            "suite": suite,
            "suites": Suite.objects.all(),
            "history": top_score_history(suite),
            "distribution": score_distribution(suite, suite_tasks),
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
                {"name": s.suite_task.name, "score": s.value, "stderr": s.stderr, "median": s.median}
                for s in ranked.scores
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
    return render(request, "leaderboard/flag_form.html", {"form": form, "model_id": model_id, "org": org,
                                                          "name": name}, status=status)  # fmt: skip


def flag_detail(request, pk, form=None):
    flag = get_object_or_404(Flag.objects.select_related("user", "moderator"), pk=pk)
    org, name = flag.model_id.split("/", 1)
    return render(
        request,
        "leaderboard/flag_detail.html",
        {"flag": flag, "org": org, "name": name, "comments": flag.comments.select_related("user"),
         "form": form or CommentForm()},  # fmt: skip
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


def _metric_filter(request, run, suite_task) -> tuple[str, list[str]]:
    available = sample_filters(run, suite_task.task)
    wanted = request.GET.get("filter") or suite_task.metric_filter
    if wanted not in available:
        wanted = suite_task.metric_filter if suite_task.metric_filter in available else (available or [""])[0]
    return wanted, available


def run_samples(request, run_id, task=None):
    """A run's samples of one task, 50 a page. A finished run's samples never change: the rendered
    page is cached (keyed by the run's end and the URL)."""
    run, suite_tasks = run_for_samples(run_id)
    if task is None:
        if not suite_tasks:
            raise Http404("The run's suite has no tasks.")
        return redirect("samples", run_id, suite_tasks[0].task)
    suite_task = _suite_task(suite_tasks, task)
    cache = caches["ranking"]
    finished = run.finished_at.timestamp() if run.finished_at else 0
    key = f"samples:{run.pk}:{finished}:{hashlib.sha256(request.get_full_path().encode()).hexdigest()}"
    body = cache.get(key) if settings.RANKING_CACHE_SECONDS else None
    if body is None:
        metric_filter, filters_available = _metric_filter(request, run, suite_task)
        outcome = request.GET.get("outcome", "")
        outcome = outcome if outcome in ("correct", "incorrect") else ""
        query = request.GET.get("q", "").strip()[:200]
        rows = samples(run, suite_task, metric_filter, outcome=outcome, query=query)
        page = Paginator(rows, SAMPLES_PER_PAGE).get_page(request.GET.get("page"))
        page_query = request.GET.copy()
        page_query.pop("page", None)
        body = render_to_string(
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
                "page_query": page_query.urlencode(),
                "model_url": _model_url(run.submission.model_id),
                **_sample_links(run, suite_task, metric_filter),
            },
            request=request,
        )
        if settings.RANKING_CACHE_SECONDS and run.status == RunStatus.FINISHED:
            cache.set(key, body, settings.RANKING_CACHE_SECONDS)
    title = f"{suite_task.name} samples · {run.submission.model_id}"
    return render(request, "leaderboard/samples.html", {"title": title, "body": body})


def sample_detail(request, run_id, task, doc_id):
    run, suite_tasks = run_for_samples(run_id)
    suite_task = _suite_task(suite_tasks, task)
    metric_filter, _ = _metric_filter(request, run, suite_task)
    sample = get_object_or_404(samples(run, suite_task, metric_filter), doc_id=doc_id)
    return render(
        request,
        "leaderboard/sample.html",
        {"run": run, "submission": run.submission, "suite_task": suite_task, "metric_filter": metric_filter,
         "s": sample_view(sample, suite_task), "model_url": _model_url(run.submission.model_id),
         **_sample_links(run, suite_task, metric_filter),
         "doc": json.dumps(sample.doc, indent=2, ensure_ascii=False)},  # fmt: skip
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
        },
    )
