import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from flags.forms import FlagForm
from flags.selectors import model_flags
from flags.services import FlagError
from model_pages.selectors import model_rankings, model_submissions
from rankings.flagging import flag_create
from rankings.format_gap import format_gaps


def _run_download_url(run) -> str:
    """The evaluation app's download of a run's files, where it has one."""
    try:
        return reverse("run-download", args=[run.pk])
    except NoReverseMatch:
        return ""


def model_page(request, org, name):
    model_id = f"{org}/{name}"
    submissions = model_submissions(model_id)
    if not submissions:
        raise Http404(f"{model_id} has never been submitted.")
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
        "model_pages/model.html",
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
    if not model_submissions(model_id):
        raise Http404(f"{model_id} has never been submitted.")
    form = FlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            flag = flag_create(user=request.user, model_id=model_id, **form.cleaned_data)
        except FlagError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"Thank you: your flag on {model_id} is open for the moderators to review.")
            return redirect("flag", flag.pk)
    status = 400 if form.is_bound else 200
    return render(
        request,
        "model_pages/flag_form.html",
        {"form": form, "model_id": model_id, "org": org, "name": name},
        status=status,
    )
