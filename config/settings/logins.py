"""Accounts and logging in: passwords, two-factor, sign in with Hugging Face, local sign-up (django-allauth)."""

import os

from accounts.hub_oauth import hub_oauth_providers
from config.settings.base import env

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Two-factor log-in (allauth.mfa, /accounts/2fa/): anyone may add an authenticator app (TOTP), recovery codes and
# passkeys or security keys (WebAuthn, where the browser has them; a passkey also logs in on its own, which counts
# as both factors), then gives one at every log-in; staff moderate only in a session that did. OTP_ADMIN_REQUIRED: every staff
# user needs an authenticator to moderate or enter the admin; default false.
OTP_ADMIN_REQUIRED = env.bool("OTP_ADMIN_REQUIRED", default=False)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = "Open Medical LLM Leaderboard"

# Sign in with Hugging Face: django-allauth's openid_connect provider "huggingface", PKCE on (README "Sign in with
# Hugging Face"). HF_OAUTH_CLIENT_ID: the hub OAuth app's client id; default none: the hub log-in is off.
HF_OAUTH_CLIENT_ID = env.str("HF_OAUTH_CLIENT_ID", default="")
# HF_OAUTH_CLIENT_SECRET: its secret (read as it is, see SECRET_KEY in base.py); default none.
HF_OAUTH_CLIENT_SECRET = os.environ.get("HF_OAUTH_CLIENT_SECRET", "")
# HF_OAUTH_URL: the hub, whose discovery document is HF_OAUTH_URL/.well-known/openid-configuration; default
# https://huggingface.co.
HF_OAUTH_URL = env.str("HF_OAUTH_URL", default="https://huggingface.co")
# HF_OAUTH_EMAIL: also ask the hub for the user's (verified) email address (scope email); default false.
HF_OAUTH_EMAIL = env.bool("HF_OAUTH_EMAIL", default=False)
# HUB_ORGS_MAX_AGE_DAYS: the organisations read at a hub log-in are trusted this many days; default 30.
HUB_ORGS_MAX_AGE_DAYS = env.int("HUB_ORGS_MAX_AGE_DAYS", default=30)
SOCIALACCOUNT_PROVIDERS = hub_oauth_providers(
    client_id=HF_OAUTH_CLIENT_ID, secret=HF_OAUTH_CLIENT_SECRET, server_url=HF_OAUTH_URL, email=HF_OAUTH_EMAIL
)
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True  # one step: the hub's user name (made unique) and nothing else to fill in
SOCIALACCOUNT_LOGIN_ON_GET = False  # a log-in starts with a POST (CSRF), never from a link on another site
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"  # the hub verified it
SOCIALACCOUNT_EMAIL_REQUIRED = False  # the hub's user name is enough
SOCIALACCOUNT_STORE_TOKENS = False  # the hub's tokens are used once, at the log-in, and never kept
# Local accounts (django-allauth): log in by user name; sign up with an email address, verified by following the
# link mailed to it (accounts made before it, without an address, still log in); the sign-up never tells whether
# an address is registered.
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 3
# "strict": a sign-up with an address another account has is answered like any other (that address stays
# unverified on the new account and can never be verified there: verified addresses are unique).
ACCOUNT_PREVENT_ENUMERATION = "strict"
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset asked for an unknown address mails nobody
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_RATE_LIMITS = False  # the site's own (RATELIMITS) and django-axes' lockout, as before
# HUB_TIMEOUT_S: seconds any one request to the Hugging Face hub may take (web request and checks); default 10.
HUB_TIMEOUT_S = env.float("HUB_TIMEOUT_S", default=10.0)
SOCIALACCOUNT_REQUESTS_TIMEOUT = HUB_TIMEOUT_S  # the hub log-in's requests (discovery, token, userinfo) too
