from django.contrib import admin, messages

from submissions.models import ModelSubmission, Status, SubmissionEvent
from submissions.services import TransitionError, submission_approve


class SubmissionEventInline(admin.TabularInline):
    model = SubmissionEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "from_status", "to_status", "actor", "note"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ModelSubmission)
class ModelSubmissionAdmin(admin.ModelAdmin):
    list_display = ["model_id", "short_sha", "precision", "suite", "status", "user", "created_at"]
    list_filter = ["status", "suite", "precision", "model_type", "created_at"]
    search_fields = ["model_id", "user__username"]
    readonly_fields = ["status", "commit_sha", "facts", "failure_reason", "created_at", "updated_at"]
    inlines = [SubmissionEventInline]
    actions = ["approve"]

    @admin.display(description="Commit")
    def short_sha(self, obj):
        return obj.commit_sha[:7]

    @admin.action(description="Approve and queue for evaluation")
    def approve(self, request, queryset):
        approved = 0
        for submission in queryset.filter(status=Status.PENDING_REVIEW):
            try:
                submission_approve(submission, actor=request.user)
                approved += 1
            except TransitionError as exc:
                self.message_user(request, f"{submission}: {exc}", messages.WARNING)
        self.message_user(request, f"{approved} submission(s) approved and queued.")
