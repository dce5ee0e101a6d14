from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from evaluation.export import run_export_file
from evaluation.models import EvalRun, ResultsFile
from evaluation.selectors import run_progress
from evaluation.templatetags.runs import progress_text


@require_GET
def run_progress_json(request, run_id: int):
    """A run's progress for the bars on the queue, profile and submission pages (polled by progress.js)."""
    run = get_object_or_404(EvalRun.objects.select_related("submission"), pk=run_id)
    progress = run_progress(run)
    response = JsonResponse({**progress.as_dict(), "text": progress_text(progress)})
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def run_download(request, run_id: int):
    """A finished run in the lm_eval CLI's format: results_<date>.json and samples_<task>_<date>.jsonl, zipped
    once (by the first request) and served as a file."""
    run = get_object_or_404(EvalRun.objects.select_related("submission"), pk=run_id)
    if not ResultsFile.objects.filter(run=run).exists():
        raise Http404(f"run {run_id} has no results to download: it did not finish")
    name = f"{run.submission.model_id.replace('/', '__')}-run-{run.pk}-lm-eval.zip"
    return FileResponse(
        run_export_file(run).open("rb"), as_attachment=True, filename=name, content_type="application/zip"
    )
