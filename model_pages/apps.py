from django.apps import AppConfig


class ModelPagesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "model_pages"
