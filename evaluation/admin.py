from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from evaluation.models import EvalRun, RunStatus, Suite, SuiteTask, TaskResult
from evaluation.selectors import run_progress
from evaluation.services import run_cancel
from evaluation.templatetags.runs import progress_text
from submissions.services import TransitionError


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
    list_display = ["pk", "submission", "attempt", "status", "cluster", "progress", "failure_kind", "worker", "heartbeat_at"]
    list_filter = ["status", "failure_kind", "cluster", "submission__suite"]
    search_fields = ["submission__model_id"]
    list_select_related = ["submission"]
    actions = ["cancel"]
    readonly_fields = [
        "submission", "status", "attempt", "cluster", "memory_gib", "worker", "created_at", "started_at",
        "heartbeat_at", "finished_at", "progress", "failure_kind", "failure_reason", "log_tail",
        "reproduce", "versions", "record",
    ]  # fmt: skip
    exclude = ["progress_stage", "progress_done", "progress_total", "progress_started_at"]
    inlines = [TaskResultInline]

    @admin.display(description="progress")
    def progress(self, run):
        return progress_text(run_progress(run))

    @admin.display(description="lm_eval commands that reproduce it")
    def reproduce(self, run):
        lines = format_html_join("\n", "{}", ((c,) for c in run.record.get("commands", [])))
        note = format_html("<p>{}</p>", run.record["note"]) if run.record.get("note") else ""
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>{}", lines, note)

    @admin.display(description="versions")
    def versions(self, run):
        r = run.record
        return (
            f"lm-eval {r.get('lm_eval_version', '?')}, transformers {r.get('transformers_version', '?')}, "
            f"torch {r.get('torch_version', '?')}; {r.get('backend', 'hf')} on {r.get('device', '?')}, "
            f"batch size {r.get('batch_size', '?')}; {r.get('duration_s', '?')} s, {r.get('gpu_seconds', '?')} GPU-s"
        ) if r else ""

    def has_add_permission(self, request):
        return False

    @admin.action(description="Cancel the selected runs (kills a running harness)")
    def cancel(self, request, queryset):
        cancelled = 0
        for run in queryset.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).select_related("submission"):
            try:
                run_cancel(run.submission, actor=request.user, note=f"run {run.pk} cancelled by {request.user}")
                cancelled += 1
            except TransitionError as exc:
                self.message_user(request, f"run {run.pk}: {exc}", messages.ERROR)
        self.message_user(request, f"{cancelled} run(s) cancelled")
