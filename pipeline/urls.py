from django.urls import path

from pipeline import views

urlpatterns = [
    path("accounts/profile/", views.profile, name="profile"),
    path("submit/", views.submit, name="submit"),
    path("queue/", views.queue, name="queue"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("submissions/<int:pk>/cancel/", views.cancel, name="submission-cancel"),
]
