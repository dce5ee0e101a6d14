from django.urls import path

from leaderboard import views

urlpatterns = [
    path("", views.leaderboard, name="home"),
    path("leaderboards/<slug:slug>/", views.leaderboard, name="leaderboard"),
    path("leaderboards/<slug:slug>/ranking.csv", views.leaderboard_csv, name="leaderboard-csv"),
    path("leaderboards/<slug:slug>/plots/", views.plots, name="plots"),
    path("leaderboards/<slug:slug>/ranking.json", views.leaderboard_json, name="leaderboard-json"),
    path("models/<str:org>/<str:name>/", views.model_page, name="model"),
    path("models/<str:org>/<str:name>/flag/", views.flag_new, name="flag-new"),
    path("flags/", views.flags, name="flags"),
    path("flags/<int:pk>/", views.flag_detail, name="flag"),
    path("flags/<int:pk>/comment/", views.flag_comment, name="flag-comment"),
    path("runs/<int:run_id>/samples/", views.run_samples, name="run-samples"),
    path("runs/<int:run_id>/samples/<str:task>/", views.run_samples, name="samples"),
    path("runs/<int:run_id>/samples/<str:task>/<int:doc_id>/", views.sample_detail, name="sample"),
    path("about/", views.about, name="about"),
    path("compare/", views.compare, name="compare"),
    path("compare/models.json", views.compare_candidates_json, name="compare-models"),
]
