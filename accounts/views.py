from allauth.account import views as allauth_views
from allauth.socialaccount.providers.openid_connect import views as openid_connect_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from requests import RequestException

from accounts.adapters import HUB_DOWN, hub_error_page
from accounts.forms import TokenForm
from accounts.services import token_create, token_revoke


@never_cache
@login_required
def tokens(request):
    """The profile's token page: create and revoke personal API tokens."""
    created = None
    form = TokenForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        _, created = token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_at=form.expires_at(),
        )
        form = TokenForm(user=request.user)
    context = {"tokens": request.user.api_tokens.all(), "created": created, "form": form}
    return render(request, "accounts/tokens.html", context, status=400 if form.is_bound else 200)


@login_required
@require_POST
def token_delete(request, pk):
    if token_revoke(user=request.user, token_id=pk):
        messages.success(request, "The token is revoked: requests that use it are refused from now on.")
    return redirect("api-tokens")


def hub_login(request, provider_id):
    """allauth's openid_connect log-in (GET: a button; POST: off to the hub), the hub's discovery document not
    answering told as such (503) instead of an error page."""
    try:
        return openid_connect_views.login(request, provider_id)
    except RequestException:
        return hub_error_page(request, HUB_DOWN, 503)


def hub_callback(request, provider_id):
    """allauth's callback, the same way: the hub not answering while it is read (discovery, token, userinfo) is
    a 503 with that message (the adapter says it for the token and userinfo requests, this for discovery)."""
    try:
        return openid_connect_views.callback(request, provider_id)
    except RequestException:
        return hub_error_page(request, HUB_DOWN, 503)


class SignupView(allauth_views.SignupView):
    """allauth's sign-up, a refused form answered 400 like every other bad input here."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response
