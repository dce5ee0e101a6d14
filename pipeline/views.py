"""The submission pages that reach past submissions: submit and cancel (their steps are pipeline.intake's), and
the pages that show submissions with their runs (the queue, a submission's page, a submitter's profile)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render

from accounts.selectors import hub_identity, hub_organisations
from catalogue.offline import hub_offline
from core.errors import TransitionError
from evaluation import selectors as runs
from pipeline.intake import submission_cancel, submission_submit
from submissions import selectors
from submissions.errors import SubmissionError
from submissions.forms import FIELDS, SubmissionForm
from submissions.hub_sources import cached_models
from submissions.models import ModelSubmission, Status
from submissions.services import submission_can_cancel

SECTION_SIZE = 50


@login_required
def submit(request):
    # "Submit again" links carry the earlier submission's fields in the query string.
    initial = {name: request.GET[name] for name in FIELDS if name in request.GET}
    form = SubmissionForm(request.POST or None, initial=initial)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            submission = submission_submit(user=request.user, **form.cleaned_data)
        except SubmissionError as exc:
            form.add_error(exc.field, exc.message)
            status = exc.status  # 400, or 503 when the hub did not answer
        else:
            messages.success(request, f"{submission.model_id} is submitted: {submission.get_status_display()}.")
            return redirect("submission", submission.pk)
    quota = {
        "days": settings.SUBMISSION_QUOTA_DAYS,
        "per_user": settings.SUBMISSION_QUOTA_PER_USER,
        "per_org": settings.SUBMISSION_QUOTA_PER_ORG,
    }
    # Without the hub (offline by setting, or not answering): say so, and which models can still be submitted.
    unreachable = status == 503 or hub_offline()
    context = {
        "form": form,
        "quota": quota,
        "offline": hub_offline(),
        "unreachable": unreachable,
        "hub_orgs": hub_organisations(request.user),
    }
    if unreachable:
        context["cached_models"] = cached_models()
    return render(request, "submissions/submit.html", context, status=status)


def queue(request):
    """Every submission, by state; ?status=X lists one state in full, page by page."""
    counts = selectors.queue_counts()
    positions = runs.queue_positions()
    status = request.GET.get("status")
    if status:
        if status not in Status.values:
            raise Http404("no such state")
        page = Paginator(runs.queue_section(status), SECTION_SIZE).get_page(request.GET.get("page"))
        sections = [(Status(status), page.object_list, counts[status])]
    else:
        page = None
        sections = [(Status(s), runs.queue_section(s)[:SECTION_SIZE], counts[s]) for s, _ in runs.QUEUE_SECTIONS]
    sections = [
        (st, selectors.annotate_voted(request.user, runs.annotate_progress(items, positions)), count)
        for st, items, count in sections
    ]
    tabs = [(Status(s), counts[s]) for s, _ in runs.QUEUE_SECTIONS]
    return render(
        request, "submissions/queue.html", {"sections": sections, "page": page, "status": status, "tabs": tabs}
    )


def submission(request, pk):
    try:
        submission = runs.submission_detail(pk)
    except ModelSubmission.DoesNotExist:
        raise Http404("no such submission") from None
    selectors.annotate_voted(request.user, [submission])
    can_cancel = submission_can_cancel(submission, request.user)
    return render(request, "submissions/detail.html", {"submission": submission, "can_cancel": can_cancel})


@login_required
def cancel(request, pk):
    """GET: what withdrawing or cancelling means (it still counts against the quota), and a button to confirm;
    POST: done."""
    submission = get_object_or_404(ModelSubmission, pk=pk)
    if request.method != "POST":
        if not submission_can_cancel(submission, request.user):
            return redirect("submission", pk)
        return render(
            request,
            "submissions/cancel_confirm.html",
            {"submission": submission, "quota": selectors.quota_use(request.user)},
        )
    try:
        submission_cancel(submission, actor=request.user)  # PermissionDenied: a 403 for others' submissions
    except TransitionError as exc:
        messages.error(request, f"{submission.model_id} cannot be cancelled: {exc}.")
    else:
        messages.success(request, f"{submission.model_id} is cancelled.")
    return redirect("submission", pk)


@login_required
def profile(request):
    """The signed-in user's page: their submissions with live progress, links to tokens and password change."""
    page = Paginator(runs.submissions_of(request.user), SECTION_SIZE).get_page(request.GET.get("page"))
    page.object_list = runs.annotate_progress(page.object_list)
    context = {"page": page, "quota": selectors.quota_use(request.user), "hub": hub_identity(request.user)}
    return render(request, "accounts/profile.html", context)
