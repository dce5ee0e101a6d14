from django.urls import path

from comparisons import views

urlpatterns = [
    path("compare/", views.compare, name="compare"),
    path("compare/models.json", views.compare_candidates_json, name="compare-models"),
]
