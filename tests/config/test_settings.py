"""Production settings from the environment: the deploy check, the secret key, the HTTPS settings."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from config.secret_key import secret_key_read_or_create

REPO = Path(__file__).resolve().parents[2]
# What a maintainer sets, or leaves alone, for these checks (and what the browser tests set for themselves);
# the rest of the environment (where the database is) stays as the test session has it.
SETTINGS_VARIABLES = {
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DEBUG",
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "CSRF_TRUSTED_ORIGINS",
    "NUM_PROXIES",
    "SANDBOX",
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {name: value for name, value in os.environ.items() if name not in SETTINGS_VARIABLES}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO, env={**base, **env}, capture_output=True, text=True
    )


DEPLOY = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "leaderboard.example.org",
    "SITE_URL": "https://leaderboard.example.org",
    "NUM_PROXIES": "1",
}


def test_the_deploy_check_passes_with_the_five_settings_a_maintainer_sets():
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=get_random_secret_key(), **DEPLOY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_warns_of_no_proxy_behind_https_and_of_no_sandbox():
    """Issue 22, finding 7: behind a TLS proxy with NUM_PROXIES=0, every client has the proxy's address (ten
    wrong passwords lock a username for everyone); and untrusted code without bubblewrap."""
    key = get_random_secret_key()
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=key, **{**DEPLOY, "NUM_PROXIES": "0"})
    assert result.returncode != 0 and "config.W001" in result.stderr + result.stdout
    result = manage("check", "--deploy", "--fail-level", "WARNING", SECRET_KEY=key, SANDBOX="off", **DEPLOY)
    assert result.returncode != 0 and "(config.W002) SANDBOX=off" in result.stderr + result.stdout


def test_an_https_site_url_turns_on_every_https_setting_each_overridable():
    code = (
        "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.CSRF_TRUSTED_ORIGINS)"
    )
    https = manage("shell", "-c", code, SITE_URL="https://lb.example.org/base", SECRET_KEY="k" * 50)
    assert https.stdout.strip().splitlines()[-1] == (
        "False True ('HTTP_X_FORWARDED_PROTO', 'https') 31536000 True True ['https://lb.example.org']"
    )
    http = manage("shell", "-c", code, SECRET_KEY="k" * 50)
    assert http.stdout.strip().splitlines()[-1] == "False False None 0 False False []"
    overridden = manage(
        "shell",
        "-c",
        code,
        SITE_URL="https://lb.example.org",
        SECRET_KEY="k" * 50,
        DEBUG="1",
        SECURE_SSL_REDIRECT="0",
        SECURE_PROXY_SSL_HEADER="",
        SECURE_HSTS_SECONDS="60",
    )
    assert overridden.stdout.strip().splitlines()[-1] == "True False None 60 True True ['https://lb.example.org']"


def test_a_shared_database_without_a_secret_key_refuses_to_start_saying_why():
    result = manage("check", DATABASE_URL="postgres://leaderboard@db.example.org/leaderboard")
    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set. With DATABASE_URL" in result.stderr


def test_the_laptop_key_is_generated_once_private_and_reused(tmp_path):
    path = tmp_path / "data" / "secret_key"
    key = secret_key_read_or_create(path)
    assert len(key) >= 50 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key_read_or_create(path) == key
    assert [p.name for p in path.parent.iterdir()] == ["secret_key"]  # no temporary file left
