"""Settings, read from the environment only (12-factor), with laptop defaults: DJANGO_SETTINGS_MODULE=config.settings.

Every environment variable the site reads is read in this package, through django-environ, with a one-line
comment saying what it means and its default; one module per concern, each importing from the others the values
it builds on (so the order below does not matter). Production and tests differ only by environment.

- base: paths, the secret key, hosts, INSTALLED_APPS, middleware, templates, the database, static files, logs
- logins: passwords, two-factor, sign in with Hugging Face, local sign-up
- mail: the SMTP server and the sender
- security: client addresses (NUM_PROXIES), rate limits, the log-in lockout, HTTPS, the Content-Security-Policy
- caches: the caches and the Redis they may live in
- leaderboard: the default suite, page caching, submissions' review and quotas, votes, the hub checks
- evaluation: the harness's runs, the GPU clusters and django-q2
- api: the REST API
- operations: heartbeats, readiness and metrics
"""

from config.settings.api import *
from config.settings.base import *
from config.settings.caches import *
from config.settings.evaluation import *
from config.settings.leaderboard import *
from config.settings.logins import *
from config.settings.mail import *
from config.settings.operations import *
from config.settings.security import *
