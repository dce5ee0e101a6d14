from django.contrib import admin

from evaluation.models import EvalRun, Suite, SuiteTask, TaskResult


class SuiteTaskInline(admin.TabularInline):
    model = SuiteTask
    extra = 0


@admin.register(Suite)
class SuiteAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "position"]
    inlines = [SuiteTaskInline]


class TaskResultInline(admin.TabularInline):
    model = TaskResult
    extra = 0
    can_delete = False
    readonly_fields = ["task", "metric", "metric_filter", "value", "stderr", "num_fewshot", "n_samples"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "submission", "status", "worker", "started_at", "heartbeat_at", "finished_at"]
    list_filter = ["status", "submission__suite"]
    search_fields = ["submission__model_id"]
    readonly_fields = [
        "submission", "status", "worker", "created_at", "started_at", "heartbeat_at", "finished_at",
        "failure_reason", "log_tail", "record",
    ]  # fmt: skip
    inlines = [TaskResultInline]
