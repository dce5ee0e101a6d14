from django.urls import path

from flags import views

urlpatterns = [
    path("flags/", views.flags, name="flags"),
    path("flags/<int:pk>/", views.flag_detail, name="flag"),
    path("flags/<int:pk>/comment/", views.flag_comment, name="flag-comment"),
]
