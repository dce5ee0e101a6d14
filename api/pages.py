"""The profile's token page: create and revoke personal API tokens."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from api.services import token_create, token_revoke


@login_required
def tokens(request):
    created = None
    if request.method == "POST":
        _, created = token_create(user=request.user, name=request.POST.get("name", ""))
    return render(
        request, "api/tokens.html", {"tokens": request.user.api_tokens.all(), "created": created}
    )


@login_required
@require_POST
def token_delete(request, pk):
    if token_revoke(user=request.user, token_id=pk):
        messages.success(request, "The token is revoked: requests that use it are refused from now on.")
    return redirect("api-tokens")
