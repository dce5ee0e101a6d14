"""django-allauth's hooks: local accounts (settings.ACCOUNT_ADAPTER) and the hub log-in
(settings.SOCIALACCOUNT_ADAPTER)."""

from types import SimpleNamespace
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.account.utils import user_username
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base.constants import AuthError
from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.urls import reverse
from requests import RequestException

from accounts.hub_oauth import HUB_PROVIDER
from accounts.services import hub_identity_record, mail_queue, user_tokens_revoke

SITE_NAME = "Open Medical LLM Leaderboard"
HUB_DOWN = "The Hugging Face hub did not answer. Nothing was changed here: try again in a few minutes."
STATE_UNKNOWN = (
    "This log-in did not start here, or it was finished or abandoned already, so it was refused. Start again from "
    "the log-in page."
)
HUB_REFUSED = "The Hugging Face hub did not confirm who you are, so you are not logged in. Start again."


def on_site_url(url: str) -> str:
    """``url`` on SITE_URL's scheme and host: links in mails never come from the request's Host header."""
    site, link = urlsplit(settings.SITE_URL), urlsplit(url)
    return urlunsplit((site.scheme, site.netloc, link.path, link.query, link.fragment))


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Rendered here, sent by the checks cluster once the request commits (accounts.services.mail_queue): how
        long a request takes never tells whether an address is registered, whatever the mail server does."""
        site = SimpleNamespace(name=SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)  # never the request's Host
        message = self.render_mail(template_prefix, email, {"email": email, "current_site": site, **context})
        mail_queue(subject=message.subject, body=message.body, to=email)

    def format_email_subject(self, subject):
        return f"[leaderboard] {subject}"

    def get_email_confirmation_url(self, request, emailconfirmation):
        return on_site_url(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key):
        return on_site_url(super().get_reset_password_from_key_url(key))

    def set_password(self, user, password):
        """Every new password (changed, set, reset): the user's API tokens are revoked with the old one."""
        super().set_password(user, password)
        if user_tokens_revoke(user=user) and getattr(self, "request", None) is not None:
            messages.info(self.request, "Your API tokens were revoked: create new ones on the tokens page.")


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
