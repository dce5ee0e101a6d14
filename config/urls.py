from django.contrib import admin
from django.urls import include, path

from config.views import favicon
from operations import health, metrics

urlpatterns = [
    path("favicon.ico", favicon),
    path("health/live/", health.liveness, name="health-live"),
    path("health/ready/", health.Readiness.as_view(), name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("", include("pipeline.urls")),
    path("", include("submissions.urls")),
    path("", include("rankings.urls")),
    path("", include("site_pages.urls")),
    path("", include("model_pages.urls")),
    path("", include("flags.urls")),
    path("", include("samples.urls")),
    path("", include("comparisons.urls")),
    path("", include("evaluation.urls")),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
