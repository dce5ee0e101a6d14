from django.urls import path

from samples import views

urlpatterns = [
    path("runs/<int:run_id>/samples/", views.run_samples, name="run-samples"),
    path("runs/<int:run_id>/samples/<str:task>/", views.run_samples, name="samples"),
    path("runs/<int:run_id>/samples/<str:task>/<int:doc_id>/", views.sample_detail, name="sample"),
]
