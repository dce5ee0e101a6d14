import sys

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class EvaluationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "evaluation"

    def ready(self):
        if sys.argv[1:2] == ["qcluster"]:  # a worker: it runs models' files and the hub checks
            from core.sandbox import SandboxUnavailable, parent_non_dumpable, sandbox_required

            try:
                sandbox_required()
            except SandboxUnavailable as exc:
                raise ImproperlyConfigured(f"This worker refuses to start: {exc}") from None
            parent_non_dumpable()
