"""Deploy checks (`manage.py check --deploy`) for settings that are unsafe together."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def proxy_count(app_configs, **kwargs):
    """An https SITE_URL means a TLS proxy in front: with NUM_PROXIES=0 every client has the proxy's address, so
    ten wrong passwords lock a username for everyone and the rate limits count all clients as one."""
    if settings.SITE_URL.startswith("https://") and settings.NUM_PROXIES == 0:
        return [
            Warning(
                "SITE_URL is https but NUM_PROXIES is 0: behind a TLS proxy every client has the proxy's address.",
                hint="Set NUM_PROXIES to the number of proxies in front that append to X-Forwarded-For (usually 1).",
                id="config.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def sandbox(app_configs, **kwargs):
    """The workers run untrusted code (models' files, the hub checks) under bubblewrap unless SANDBOX=off."""
    from core.sandbox import sandbox_problem

    problem = sandbox_problem()
    if problem:
        return [Warning(problem, hint="Install bubblewrap (apt-get install bubblewrap).", id="config.W002")]
    return []
