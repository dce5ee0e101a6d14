from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts.policy import vote_counts
from submissions import selectors
from submissions.models import ModelSubmission
from submissions.votes import VoteError, vote_cast, vote_withdraw


@require_POST
@login_required
def vote(request, pk):
    """Vote for a waiting submission's revision (``withdraw``: take the vote back), then back to ``next`` (the queue
    or the submission's page); with htmx, the vote's count and button alone, in place."""
    submission = get_object_or_404(ModelSubmission, pk=pk)
    withdraw = bool(request.POST.get("withdraw"))
    try:
        (vote_withdraw if withdraw else vote_cast)(user=request.user, submission=submission)
    except VoteError as exc:
        note, level = f"{submission.model_id}: {exc}.", messages.ERROR
    else:
        note, level = ("Vote withdrawn." if withdraw else "Vote counted."), messages.SUCCESS
        if not withdraw and not vote_counts(request.user):
            days = settings.VOTE_MIN_ACCOUNT_DAYS
            note = f"Vote recorded; it counts once your account is {days:g} days old and has a verified email address or a linked Hugging Face account."
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        target = reverse("submission", args=[pk])
    if request.headers.get("HX-Request"):
        submission.refresh_from_db(fields=["votes", "status"])
        selectors.annotate_voted(request.user, [submission])
        context = {"s": submission, "vote_note": note, "vote_next": target}
        return render(request, "submissions/_vote.html", context)
    messages.add_message(request, level, note)
    return redirect(target)


@require_GET
def submission_status(request, pk):
    """A submission's state, polled by checking.js while its hub checks run."""
    submission = get_object_or_404(ModelSubmission.objects.only("status", "failure_reason"), pk=pk)
    response = JsonResponse(
        {"status": submission.status, "label": submission.get_status_display(), "reason": submission.failure_reason}
    )
    response["Cache-Control"] = "no-store"
    return response
