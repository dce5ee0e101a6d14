from django.contrib import admin
from django.urls import include, path

from api import pages as api_pages

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/tokens/", api_pages.tokens, name="api-tokens"),
    path("accounts/tokens/<int:pk>/revoke/", api_pages.token_delete, name="api-token-delete"),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("", include("submissions.urls")),
    path("", include("leaderboard.urls")),
    path("", include("evaluation.urls")),
]

handler404 = "config.views.page_not_found"
