from django.urls import path

from site_pages import views

urlpatterns = [
    path("leaderboards/<slug:slug>/plots/", views.plots, name="plots"),
    path("about/", views.about, name="about"),
]
