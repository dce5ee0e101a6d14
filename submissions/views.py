from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from submissions.errors import SubmissionError
from submissions.forms import SubmissionForm
from submissions.services import submission_create


@login_required
def submit(request):
    form = SubmissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submission = submission_create(user=request.user, **form.cleaned_data)
        except SubmissionError as exc:
            form.add_error(exc.field, exc.message)
        else:
            messages.success(
                request, f"{submission.model_id} is submitted: {submission.get_status_display()}."
            )
            return redirect("profile")
    status = 400 if form.is_bound else 200
    return render(request, "submissions/submit.html", {"form": form}, status=status)
