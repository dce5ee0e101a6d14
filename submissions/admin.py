from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join

from accounts.policy import can_moderate
from core.errors import TransitionError
from submissions.errors import SubmissionError
from submissions.hub import check_model_id
from submissions.models import BlockedModel, Organisation, Status, SubmissionEvent, UserQuota
from submissions.selectors import revision_voters
from submissions.services import submission_raise_priority, submission_reject


class SubmissionEventInline(admin.TabularInline):
    model = SubmissionEvent
    verbose_name_plural = "history"
    extra = 0
    can_delete = False
    fields = readonly_fields = ("created_at", "from_status", "to_status", "actor", "note")

    def has_add_permission(self, request, obj=None):
        return False


class RejectForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text="The submitter sees this on their profile, on the queue and in an email.",
    )


def admin_apply(modeladmin, request, queryset, verb: str, move) -> None:
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


class ModelSubmissionAdmin(admin.ModelAdmin):
    """The submissions' admin, less what reaches their runs: pipeline.admin registers it with those (approve,
    requeue, cancel and the runs inline)."""

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
    inlines = [SubmissionEventInline]
    actions = ["reject", "raise_priority"]

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

    @admin.action(description="Reject (with a reason the submitter sees)…", permissions=["moderate"])
    def reject(self, request, queryset):
        form = RejectForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            admin_apply(
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
