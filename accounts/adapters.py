"""django-allauth's hooks for the hub log-in (settings.SOCIALACCOUNT_ADAPTER)."""

from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import user_username
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.shortcuts import render
from django.urls import reverse
from requests import RequestException

from accounts.hub_oauth import HUB_PROVIDER
from accounts.services import hub_identity_record

HUB_DOWN = "The Hugging Face hub did not answer. Nothing was changed here: try again in a few minutes."
STATE_UNKNOWN = (
    "This log-in did not start here, or it was finished or abandoned already, so it was refused. Start again from "
    "the log-in page."
)
HUB_REFUSED = "The Hugging Face hub did not confirm who you are, so you are not logged in. Start again."


def hub_error_page(request, reason: str, status: int):
    return render(request, "socialaccount/authentication_error.html", {"reason": reason}, status=status)


def hub_userinfo(sociallogin) -> dict:
    return sociallogin.account.extra_data.get("userinfo") or {}


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def pre_social_login(self, request, sociallogin):
        """Every hub log-in or link, once the hub answered (state, code and tokens checked): store its
        organisations, read now."""
        if sociallogin.account.provider == HUB_PROVIDER:
            hub_identity_record(uid=sociallogin.account.uid, userinfo=hub_userinfo(sociallogin))

    def save_user(self, request, sociallogin, form=None):
        """A new user from the hub: their hub user name, or, where a local user has it already, that name made
        unique (alice -> alice2): never the local account."""
        user = sociallogin.user
        if not user_username(user):
            hub_name = hub_userinfo(sociallogin).get("preferred_username") or ""
            user_username(user, get_account_adapter(request).generate_unique_username([hub_name, "user"]))
        return super().save_user(request, sociallogin, form)

    def get_connect_redirect_url(self, request, socialaccount):
        return reverse("profile")

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        """Say what went wrong, with its status: the hub down (503), a ``state`` this session did not start (a
        forged or replayed callback: 400), anything else the hub refused (400)."""
        if isinstance(exception, RequestException):
            raise ImmediateHttpResponse(hub_error_page(request, HUB_DOWN, 503))
        if error == AuthError.CANCELLED:
            return  # allauth's "log-in cancelled" page
        context = extra_context or {}
        unknown_state = "callback_view" in context and "state" not in context  # the callback found no such state
        raise ImmediateHttpResponse(hub_error_page(request, STATE_UNKNOWN if unknown_state else HUB_REFUSED, 400))
