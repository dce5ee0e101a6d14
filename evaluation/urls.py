from django.urls import path

from evaluation import views

urlpatterns = [
    path("runs/<int:run_id>/progress.json", views.run_progress_json, name="run-progress"),
    path("runs/<int:run_id>/download.zip", views.run_download, name="run-download"),
]
