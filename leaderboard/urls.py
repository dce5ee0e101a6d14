from django.urls import path

from leaderboard import views

urlpatterns = [
    path("", views.leaderboard, name="home"),
    path("leaderboards/<slug:slug>/", views.leaderboard, name="leaderboard"),
    path("api/leaderboard/<slug:slug>/", views.leaderboard_json, name="leaderboard-json"),
]
