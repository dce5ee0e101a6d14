from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import UserCreationForm
from django.shortcuts import redirect, render

from submissions.selectors import submissions_of


def signup(request):
    form = UserCreationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user)
        return redirect("profile")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.is_bound else 200)


@login_required
def profile(request):
    return render(request, "accounts/profile.html", {"submissions": submissions_of(request.user)})
