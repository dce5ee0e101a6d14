"""The Hugging Face hub as django-allauth's openid_connect app "huggingface", built from the environment's
values (config.settings) or a test's."""

from django.conf import settings

HUB_PROVIDER = "huggingface"


def hub_oauth_providers(*, client_id: str, secret: str, server_url: str, email: bool = False) -> dict:
    """SOCIALACCOUNT_PROVIDERS with the hub's app, or with none (the hub log-in off) without a client id."""
    app = {
        "provider_id": HUB_PROVIDER,
        "name": "Hugging Face",
        "client_id": client_id,
        "secret": secret,
        "settings": {
            "server_url": server_url.rstrip("/"),
            "scope": ["openid", "profile", *(["email"] if email else [])],
            "oauth_pkce_enabled": True,
            "fetch_userinfo": True,  # the orgs claim is in the userinfo
        },
    }
    return {"openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [app] if client_id else []}}


def hub_login_enabled() -> bool:
    """Whether the hub log-in is configured (HF_OAUTH_CLIENT_ID set)."""
    return bool(settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS"))
