"""What every page's template (base.html) reads besides Django's own context processors."""

from functools import cache

from django.urls import reverse

from accounts.hub_oauth import hub_login_enabled

NAV = ("home", "submit", "queue", "flags", "about", "profile", "admin:index")
ACCOUNT_NAV = {"logout": "account_logout", "login": "account_login", "signup": "account_signup"}  # django-allauth's


@cache
def _nav() -> dict[str, str]:
    return {name.replace(":", "_"): reverse(name) for name in NAV} | {
        key: reverse(name) for key, name in ACCOUNT_NAV.items()
    }


def nav(request) -> dict:
    """The header's links, reversed once per process: eleven {% url %} tags cost more than serving a cached
    ranking page. (The site is served under one script prefix, so the first request's is every request's.)"""
    return {"nav": _nav(), "hub_login": hub_login_enabled()}
