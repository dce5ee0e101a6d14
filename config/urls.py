from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("", include("submissions.urls")),
    path("", include("leaderboard.urls")),
    path("", include("evaluation.urls")),
]
