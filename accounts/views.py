from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from accounts.forms import SignupForm
from submissions.selectors import annotate_progress, submissions_of

PAGE_SIZE = 50


def signup(request):
    if request.user.is_authenticated:
        return redirect("profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("profile")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
def profile(request):
    page = Paginator(submissions_of(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = annotate_progress(page.object_list)
    return render(request, "accounts/profile.html", {"page": page})
