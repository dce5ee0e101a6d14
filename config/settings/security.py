"""Abuse limits (client addresses, rate limits, the log-in lockout), HTTPS and the Content-Security-Policy."""

from urllib.parse import urlsplit

from csp.constants import NONE, SELF

from config.settings.base import SITE_URL, env
from config.settings.logins import HF_OAUTH_CLIENT_ID, HF_OAUTH_URL

# NUM_PROXIES: how many reverse proxies in front of the site append to X-Forwarded-For; the client is the
# address that many from its end (0: REMOTE_ADDR, the header ignored). The API's throttles, the web rate
# limits and the log-in lockout all count by it (core.client_ip); default 0.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# DATA_UPLOAD_MAX_MEMORY_SIZE: the largest request body Django reads, in bytes (over it: 400); default 1 MiB.
# config/wsgi.py refuses a larger declared Content-Length (413) before Django reads anything.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2**20)
# Web rate limits (django-ratelimit, config.ratelimit): per group, (anonymous per address, signed in per user).
# RATELIMIT_PAGES_ANON, RATELIMIT_PAGES_USER: page views; defaults 120/m and 600/m.
# RATELIMIT_EXPORTS_ANON, RATELIMIT_EXPORTS_USER: CSV/JSON exports and run downloads; defaults 20/m and 60/m.
# RATELIMIT_LOGIN: log-in attempts per address; default 30/m.
# RATELIMIT_SIGNUP: sign-ups per address; default 10/h.
# RATELIMIT_PASSWORD_RESET: password-reset requests per address; default 10/h.
# RATELIMIT_PASSWORD_RESET_EMAIL: password-reset requests per email address; default 3/h.
# RATELIMIT_VOTES: votes cast or withdrawn per user, on the site (and counted apart in the API); default 30/h.
RATELIMITS = {
    "pages": (env.str("RATELIMIT_PAGES_ANON", default="120/m"), env.str("RATELIMIT_PAGES_USER", default="600/m")),
    "exports": (env.str("RATELIMIT_EXPORTS_ANON", default="20/m"), env.str("RATELIMIT_EXPORTS_USER", default="60/m")),
    "login": (env.str("RATELIMIT_LOGIN", default="30/m"),) * 2,
    "signup": (env.str("RATELIMIT_SIGNUP", default="10/h"),) * 2,
    "password-reset": (env.str("RATELIMIT_PASSWORD_RESET", default="10/h"),) * 2,
    "password-reset-email": (env.str("RATELIMIT_PASSWORD_RESET_EMAIL", default="3/h"),) * 2,
    "votes": (env.str("RATELIMIT_VOTES", default="30/h"),) * 2,
}
RATELIMIT_IP_META_KEY = "core.client_ip.client_ip"
RATELIMIT_USE_CACHE = "ratelimit"  # see CACHES (caches.py)
# Log-in lockout (django-axes): AXES_FAILURE_LIMIT wrong passwords for one username from one address lock
# that pair out for AXES_COOLOFF_HOURS; defaults 10 and 1.
# allauth's backend last: the one it logs hub users in with (Django's ModelBackend, by username).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "core.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no version banner on every manage.py command

# --- HTTPS ----------------------------------------------------------------------------------------
# An https:// SITE_URL turns every one of these on (a TLS-terminating proxy in front that sets
# X-Forwarded-Proto, see README "Deploying"); each can be set on its own.
_HTTPS = SITE_URL.startswith("https://")
# SECURE_SSL_REDIRECT: redirect http:// requests to https://; default true with an https:// SITE_URL.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_HTTPS)
# SECURE_PROXY_SSL_HEADER: the header and value by which the proxy says a request came over HTTPS, as
# "HTTP_X_FORWARDED_PROTO,https" (the proxy must set or strip it), empty: none; default that one with an
# https:// SITE_URL.
SECURE_PROXY_SSL_HEADER = (
    tuple(env.list("SECURE_PROXY_SSL_HEADER", default=["HTTP_X_FORWARDED_PROTO", "https"] if _HTTPS else [])) or None
)
# SECURE_HSTS_SECONDS: how long browsers must use HTTPS only (Strict-Transport-Security), 0: no header;
# default a year with an https:// SITE_URL.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if _HTTPS else 0)
# SECURE_HSTS_INCLUDE_SUBDOMAINS: the HSTS header covers subdomains; default true with an https:// SITE_URL.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_HTTPS)
# SECURE_HSTS_PRELOAD: the HSTS header consents to browsers' preload lists; default true with an https:// SITE_URL.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=_HTTPS)
# SESSION_COOKIE_SECURE: the session cookie is sent over HTTPS only; default true with an https:// SITE_URL.
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_HTTPS)
# CSRF_COOKIE_SECURE: the CSRF cookie is sent over HTTPS only; default true with an https:// SITE_URL.
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_HTTPS)
# CSRF_TRUSTED_ORIGINS: comma-separated origins (https://host) whose forms may post here; default SITE_URL's
# origin with an https:// SITE_URL.
CSRF_TRUSTED_ORIGINS = env.list(
    "CSRF_TRUSTED_ORIGINS", default=[f"https://{urlsplit(SITE_URL).netloc}"] if _HTTPS else []
)

# Content-Security-Policy (django-csp): scripts, styles, images and fonts from this site only, no inline
# script, no plugins, never framed (beside SecurityMiddleware's and XFrameOptionsMiddleware's headers).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        # the hub log-in's form is answered by a redirect to the hub, which form-action governs too
        "form-action": [SELF, *([HF_OAUTH_URL.rstrip("/")] if HF_OAUTH_CLIENT_ID else [])],
        "frame-ancestors": [NONE],
    },
}
