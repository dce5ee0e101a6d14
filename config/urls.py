from django.contrib import admin
from django.urls import include, path

from config.views import favicon

urlpatterns = [
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("", include("submissions.urls")),
    path("", include("leaderboard.urls")),
    path("", include("evaluation.urls")),
]

handler400 = "config.views.bad_request"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"
