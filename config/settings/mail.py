"""Mail: submission emails, password resets and sign-up confirmations."""

import os

from config.settings.base import env

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
# EMAIL_HOST_PASSWORD: the SMTP password, a secret (read as it is, see SECRET_KEY in base.py); default none.
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# EMAIL_USE_TLS: STARTTLS; default true.
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
# EMAIL_USE_SSL: implicit TLS (usually port 465); default false.
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
# EMAIL_TIMEOUT: seconds an SMTP connection may block; default 10.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
# DEFAULT_FROM_EMAIL: the sender of every email; default leaderboard@localhost.
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="leaderboard@localhost")
