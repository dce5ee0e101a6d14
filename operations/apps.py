from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = "Running the platform as a service: health, metrics, database outages, backups"
