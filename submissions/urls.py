from django.urls import path

from submissions import views

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("submit/", views.submit, name="submit"),
    path("queue/", views.queue, name="queue"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("submissions/<int:pk>/status.json", views.submission_status, name="submission-status"),
    path("submissions/<int:pk>/vote/", views.vote, name="submission-vote"),
    path("submissions/<int:pk>/cancel/", views.cancel, name="submission-cancel"),
]
