from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from submissions import selectors
from submissions.errors import SubmissionError
from submissions.forms import FIELDS, SubmissionForm
from submissions.models import ModelSubmission, Status
from submissions.services import TransitionError, submission_can_cancel, submission_cancel, submission_create

SECTION_SIZE = 50


@login_required
def submit(request):
    # "Submit again" links carry the earlier submission's fields in the query string.
    initial = {name: request.GET[name] for name in FIELDS if name in request.GET}
    form = SubmissionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            submission = submission_create(user=request.user, **form.cleaned_data)
        except SubmissionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(request, f"{submission.model_id} is submitted: {submission.get_status_display()}.")
            return redirect("submission", submission.pk)
    status = 400 if form.is_bound else 200
    return render(request, "submissions/submit.html", {"form": form}, status=status)


def queue(request):
    """Every submission, by state; ?status=X lists one state in full, page by page."""
    counts = selectors.queue_counts()
    positions = selectors.queue_positions()
    status = request.GET.get("status")
    if status:
        if status not in Status.values:
            raise Http404("no such state")
        page = Paginator(selectors.queue_section(status), SECTION_SIZE).get_page(request.GET.get("page"))
        sections = [(Status(status), selectors.annotate_progress(page.object_list, positions), counts[status])]
    else:
        page = None
        sections = [
            (Status(s), selectors.annotate_progress(selectors.queue_section(s)[:SECTION_SIZE], positions), counts[s])
            for s, _ in selectors.QUEUE_SECTIONS
        ]
    tabs = [(Status(s), counts[s]) for s, _ in selectors.QUEUE_SECTIONS]
    return render(
        request, "submissions/queue.html", {"sections": sections, "page": page, "status": status, "tabs": tabs}
    )


def submission(request, pk):
    try:
        submission = selectors.submission_detail(pk)
    except ModelSubmission.DoesNotExist:
        raise Http404("no such submission") from None
    can_cancel = submission_can_cancel(submission, request.user)
    return render(request, "submissions/detail.html", {"submission": submission, "can_cancel": can_cancel})


@login_required
@require_POST
def cancel(request, pk):
    submission = get_object_or_404(ModelSubmission, pk=pk)
    try:
        submission_cancel(submission, actor=request.user)  # PermissionDenied: a 403 for others' submissions
    except TransitionError as exc:
        messages.error(request, f"{submission.model_id} cannot be cancelled: {exc}.")
    else:
        messages.success(request, f"{submission.model_id} is cancelled.")
    return redirect("submission", pk)
