"""The runs' admin pages: a run with its history and results, and the runs inline on a submission's page. Their
actions that reach past runs (cancelling a run cancels its submission) are added where they are registered,
pipeline.admin."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.policy import can_moderate
from evaluation.models import EvalRun, RunEvent, TaskResult
from evaluation.selectors import run_progress
from evaluation.templatetags.runs import progress_text


class EvalRunInline(admin.TabularInline):
    model = EvalRun
    verbose_name_plural = "evaluation runs"
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "run_link",
        "attempt",
        "status",
        "worker",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "progress",
        "failure_reason",
    )
    ordering = ["-created_at"]

    # Part of the submission's page, read-only, for whoever may see the submission.
    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Run")
    def run_link(self, run):
        return format_html('<a href="{}">{}</a>', reverse("admin:evaluation_evalrun_change", args=[run.pk]), run.pk)

    @admin.display(description="Progress")
    def progress(self, run):
        if not run.progress_total:
            return run.progress_stage or "—"
        return f"{run.progress_done}/{run.progress_total} requests {run.progress_stage}".strip()


class RunEventInline(admin.TabularInline):
    model = RunEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "from_status", "to_status", "note"]

    def has_add_permission(self, request, obj=None):
        return False


class TaskResultInline(admin.TabularInline):
    model = TaskResult
    extra = 0
    can_delete = False
    readonly_fields = ["task", "metric", "metric_filter", "value", "stderr", "num_fewshot", "n_samples"]

    def has_add_permission(self, request, obj=None):
        return False


class EvalRunAdmin(admin.ModelAdmin):
    """The runs' admin, less cancelling (a run's submission is cancelled with it): pipeline.admin registers it
    with that action."""

    list_display = [
        "pk",
        "submission",
        "attempt",
        "status",
        "cluster",
        "progress",
        "failure_kind",
        "worker",
        "heartbeat_at",
    ]
    list_filter = ["status", "failure_kind", "cluster", "submission__suite"]
    search_fields = ["submission__model_id"]
    list_select_related = ["submission"]
    readonly_fields = [
        "submission",
        "status",
        "attempt",
        "cluster",
        "memory_gib",
        "worker",
        "created_at",
        "started_at",
        "heartbeat_at",
        "finished_at",
        "progress",
        "failure_kind",
        "failure_reason",
        "log_tail",
        "reproduce",
        "versions",
        "record",
    ]
    exclude = ["progress_stage", "progress_done", "progress_total", "progress_started_at"]
    inlines = [RunEventInline, TaskResultInline]

    class Media:  # a stylesheet, not inline style: the CSP allows none
        css = {"all": ["css/admin-runs.css"]}

    @admin.display(description="progress")
    def progress(self, run):
        return progress_text(run_progress(run))

    @admin.display(description="lm_eval commands that reproduce it")
    def reproduce(self, run):
        lines = format_html_join("\n", "{}", ((c,) for c in run.record.get("commands", [])))
        note = format_html("<p>{}</p>", run.record["note"]) if run.record.get("note") else ""
        return format_html('<pre class="reproduce">{}</pre>{}', lines, note)

    @admin.display(description="versions")
    def versions(self, run):
        r = run.record
        return (
            (
                f"lm-eval {r.get('lm_eval_version', '?')}, transformers {r.get('transformers_version', '?')}, "
                f"torch {r.get('torch_version', '?')}; {r.get('backend', 'hf')} on {r.get('device', '?')}, "
                f"batch size {r.get('batch_size', '?')}; {r.get('duration_s', '?')} s, {r.get('gpu_seconds', '?')} GPU-s"
            )
            if r
            else ""
        )

    def has_add_permission(self, request):
        return False

    def has_moderate_permission(self, request):
        return can_moderate(request.user)
