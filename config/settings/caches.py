"""Shared state: the caches (throttle and rate-limit counts, rendered pages) and the Redis they may live in."""

from config.settings.base import env

# Throttling counts live in the cache: a database cache, so every web process shares them.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "django_cache"},
    "qcluster": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    # Rendered public pages, per process: ranking bodies keyed by the ranking's version, sample pages of
    # finished runs (which never change); see rankings.views.cached_render.
    "ranking": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}},
    # RATELIMIT_CACHE_URL: where the web rate limits count (a django-environ cache URL, e.g. redis://host:6379/1
    # for counts that every web process and host shares); default each process's memory, which costs a page
    # nothing but lets each gunicorn worker count apart. The log-in lockout (django-axes) is in the database.
    "ratelimit": env.cache_url("RATELIMIT_CACHE_URL", default="locmemcache://ratelimit"),
}
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
