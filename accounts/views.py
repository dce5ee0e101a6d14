from urllib.parse import urlsplit

from allauth.socialaccount.providers.openid_connect import views as openid_connect_views
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from requests import RequestException

from accounts.adapters import HUB_DOWN, hub_error_page
from accounts.forms import PasswordResetForm, SignupForm, TokenForm
from accounts.services import (
    token_create,
    token_revoke,
    user_email_confirm,
    user_email_confirmation_send,
    user_tokens_revoke,
)


def signup(request):
    if request.user.is_authenticated:
        return redirect("profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        email = form.cleaned_data["email"]
        user_email_confirmation_send(user=user, email=email)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if email:
            messages.info(request, f"We sent a message to {email}: follow its link to add the address to your account.")
        return redirect("profile")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.is_bound else 200)


def email_confirm(request, token):
    user = user_email_confirm(token=token)
    if user is None:
        messages.error(request, "This link does not work: it expired, was changed, or the address is in use.")
    else:
        messages.success(request, f"{user.email} is now the address of {user.username}.")
    return redirect("profile" if request.user.is_authenticated else "login")


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's, which keeps this session and signs the others out; it also revokes every API token. A user who
    signed up with the hub has no password yet: they set one without giving the old one."""

    def get_form_class(self):
        return super().get_form_class() if self.request.user.has_usable_password() else SetPasswordForm

    def form_valid(self, form):
        response = super().form_valid(form)
        if user_tokens_revoke(user=form.user):
            messages.info(self.request, "Your API tokens were revoked: create new ones on the tokens page.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, its mail queued and its link built from SITE_URL, never from the request's Host header."""

    form_class = PasswordResetForm

    def form_valid(self, form):
        site = urlsplit(settings.SITE_URL)
        self.extra_email_context = {"protocol": site.scheme, "domain": site.netloc}
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's, which signs every session out; it also revokes every API token."""

    def form_valid(self, form):
        response = super().form_valid(form)
        user_tokens_revoke(user=form.user)
        return response


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
