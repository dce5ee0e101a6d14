"""The REST API: authentication, permissions, throttles and its OpenAPI schema."""

from config.settings.base import env
from config.settings.security import NUM_PROXIES

REST_FRAMEWORK = {
    "NUM_PROXIES": NUM_PROXIES,  # for a DRF throttle that is not ours: ours count by core.client_ip
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
        "api.throttling.AnonymousRateThrottle",
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
