from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from accounts.policy import can_moderate
from core.errors import TransitionError
from evaluation.models import EvalRun, RunEvent, RunStatus, TaskResult
from evaluation.selectors import run_progress
from evaluation.templatetags.runs import progress_text
from submissions.errors import SubmissionError
from submissions.hub import check_model_id
from submissions.models import BlockedModel, ModelSubmission, Organisation, Status, SubmissionEvent, UserQuota
from submissions.selectors import revision_voters
from submissions.services import (
    submission_approve,
    submission_cancel,
    submission_raise_priority,
    submission_reject,
    submission_requeue,
)


class SubmissionEventInline(admin.TabularInline):
    model = SubmissionEvent
    verbose_name_plural = "history"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False


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


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="The submitter sees this on their profile, on the queue and in an email.",
    )


def _apply(modeladmin, request, queryset, verb: str, move) -> None:
    """Run ``move`` on each submission in its own transaction; report what happened and what could not."""
    done = 0
    for submission in queryset:
        try:
            move(submission)
        except (TransitionError, PermissionDenied) as exc:
            modeladmin.message_user(request, f"{submission}: {exc}", messages.WARNING)
        else:
            done += 1
    modeladmin.message_user(request, f"{done} submission(s) {verb}.", messages.SUCCESS if done else messages.WARNING)


@admin.register(ModelSubmission)
class ModelSubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "model_id",
        "short_sha",
        "precision",
        "weight_type",
        "model_type",
        "suite",
        "status",
        "priority",
        "votes",
        "user",
        "created_at",
    ]
    list_filter = ["status", "suite", "precision", "model_type", "weight_type", "by_organisation", "created_at"]
    search_fields = ["model_id", "base_model", "user__username", "user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["suite", "user"]
    list_per_page = 100
    fields = [
        "model_id",
        "revision",
        "commit_sha",
        "precision",
        "weight_type",
        "base_model",
        "model_type",
        "use_chat_template",
        "suite",
        "user",
        "status",
        "failure_reason",
        "priority",
        "votes",
        "voters",
        "quota_exempt",
        "by_organisation",
        "hub_facts",
        "created_at",
        "updated_at",
    ]
    readonly_fields = [f for f in fields if f != "priority"]  # type: ignore[misc]  # the stubs let ``fields`` nest; ours are names
    inlines = [SubmissionEventInline, EvalRunInline]
    actions = ["approve", "reject", "requeue", "cancel", "raise_priority"]

    def has_add_permission(self, request):
        return False  # submissions come through the hub checks: the submit form, the API or `manage.py evaluate`

    def has_delete_permission(self, request, obj=None):
        return False  # nothing disappears: reject or cancel instead

    def has_moderate_permission(self, request):
        return can_moderate(request.user)

    @admin.display(description="Commit")
    def short_sha(self, obj):
        return obj.commit_sha[:7]

    @admin.display(description="Voters for this model revision")
    def voters(self, obj):
        voters = revision_voters(obj)
        if not voters:
            return "—"
        not_counted = " (not counted: a young account or no verified address)"
        return format_html_join(", ", "{}{}", ((name, "" if counted else not_counted) for name, counted in voters))

    @admin.display(description="Model facts")
    def hub_facts(self, obj):
        if not obj.facts:
            return "—"
        rows = format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", sorted(obj.facts.items()))
        return format_html("<table>{}</table>", rows)

    @admin.action(description="Approve and queue for evaluation", permissions=["moderate"])
    def approve(self, request, queryset):
        _apply(self, request, queryset, "approved and queued", lambda s: submission_approve(s, actor=request.user))

    @admin.action(description="Reject (with a reason the submitter sees)…", permissions=["moderate"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            _apply(
                self, request, queryset, "rejected", lambda s: submission_reject(s, actor=request.user, reason=reason)
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Reject submissions",
            "opts": self.model._meta,
            "form": form,
            "submissions": queryset,
            "pending": queryset.filter(status=Status.PENDING_REVIEW).count(),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "submissions/admin_reject.html", context)

    @admin.action(description="Requeue failed submissions", permissions=["moderate"])
    def requeue(self, request, queryset):
        _apply(self, request, queryset, "requeued", lambda s: submission_requeue(s, actor=request.user))

    @admin.action(description="Cancel (pending, queued or running)", permissions=["moderate"])
    def cancel(self, request, queryset):
        _apply(self, request, queryset, "cancelled", lambda s: submission_cancel(s, actor=request.user))

    @admin.action(description="Raise priority (+1: ahead of the others in the queue)", permissions=["moderate"])
    def raise_priority(self, request, queryset):
        for submission in queryset:
            submission_raise_priority(submission)
            self.log_change(request, submission, f"priority raised to {submission.priority}")
        self.message_user(request, f"{len(queryset)} submission(s) raised in priority.")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "trusted", "max_submissions", "created_at"]
    list_editable = ["trusted", "max_submissions"]
    list_filter = ["trusted"]
    search_fields = ["name"]


@admin.register(UserQuota)
class UserQuotaAdmin(admin.ModelAdmin):
    list_display = ["user", "max_submissions"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


class BlockedModelForm(forms.ModelForm):
    class Meta:
        model = BlockedModel
        fields = ["model_id", "reason"]

    def clean_model_id(self):
        try:
            return check_model_id(self.cleaned_data["model_id"])
        except SubmissionError as exc:
            raise forms.ValidationError(exc.message) from None


@admin.register(BlockedModel)
class BlockedModelAdmin(admin.ModelAdmin):
    form = BlockedModelForm
    list_display = ["model_id", "reason", "created_by", "created_at"]
    search_fields = ["model_id", "reason"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


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


@admin.register(EvalRun)
class EvalRunAdmin(admin.ModelAdmin):
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
    actions = ["cancel"]
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

    @admin.action(description="Cancel the selected runs (kills a running harness)", permissions=["moderate"])
    def cancel(self, request, queryset):
        cancelled = 0
        for run in queryset.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).select_related("submission"):
            try:
                submission_cancel(run.submission, actor=request.user, note=f"run {run.pk} cancelled by {request.user}")
                cancelled += 1
            except (TransitionError, PermissionDenied) as exc:
                self.message_user(request, f"run {run.pk}: {exc}", messages.ERROR)
        self.message_user(request, f"{cancelled} run(s) cancelled")
