from django.urls import path

from model_pages import views

urlpatterns = [
    path("models/<str:org>/<str:name>/", views.model_page, name="model"),
    path("models/<str:org>/<str:name>/flag/", views.flag_new, name="flag-new"),
]
