"""The admin of submissions and runs, registered here: their actions move a submission and its runs together
(pipeline.intake), which neither submissions nor evaluation may import. The pages themselves are
submissions.admin's and evaluation.admin's."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied

from core.errors import TransitionError
from evaluation.admin import EvalRunAdmin, EvalRunInline
from evaluation.models import EvalRun, RunStatus
from pipeline.intake import submission_approve, submission_cancel, submission_requeue
from submissions.admin import ModelSubmissionAdmin, admin_apply
from submissions.models import ModelSubmission


@admin.register(ModelSubmission)
class SubmissionModerationAdmin(ModelSubmissionAdmin):
    inlines = [*ModelSubmissionAdmin.inlines, EvalRunInline]
    actions = ["approve", "reject", "requeue", "cancel", "raise_priority"]

    @admin.action(description="Approve and queue for evaluation", permissions=["moderate"])
    def approve(self, request, queryset):
        admin_apply(self, request, queryset, "approved and queued", lambda s: submission_approve(s, actor=request.user))

    @admin.action(description="Requeue failed submissions", permissions=["moderate"])
    def requeue(self, request, queryset):
        admin_apply(self, request, queryset, "requeued", lambda s: submission_requeue(s, actor=request.user))

    @admin.action(description="Cancel (pending, queued or running)", permissions=["moderate"])
    def cancel(self, request, queryset):
        admin_apply(self, request, queryset, "cancelled", lambda s: submission_cancel(s, actor=request.user))


@admin.register(EvalRun)
class RunModerationAdmin(EvalRunAdmin):
    actions = ["cancel"]

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
