from django.urls import path

from rankings import views

urlpatterns = [
    path("", views.leaderboard, name="home"),
    path("leaderboards/<slug:slug>/", views.leaderboard, name="leaderboard"),
    path("leaderboards/<slug:slug>/ranking.csv", views.leaderboard_csv, name="leaderboard-csv"),
    path("leaderboards/<slug:slug>/ranking.json", views.leaderboard_json, name="leaderboard-json"),
]
