from django.urls import path

from submissions import views

urlpatterns = [
    path("submissions/<int:pk>/status.json", views.submission_status, name="submission-status"),
    path("submissions/<int:pk>/vote/", views.vote, name="submission-vote"),
]
