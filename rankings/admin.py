"""The ranking's admin: reference rows, and the flags' moderation (here, not in flags: a decision changes the
ranking at once, through rankings.flagging)."""

from django.contrib import admin

from flags.forms import FlagModerationForm
from flags.models import Flag, FlagComment, FlagStatus
from rankings.flagging import flag_moderate
from rankings.forms import ReferenceEntryForm
from rankings.models import LeaderboardEntry
from rankings.references import reference_delete, reference_save


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(admin.ModelAdmin):
    """Ranked submissions are read-only here (runs write them); staff add and edit reference rows."""

    list_display = ["model_id", "suite", "is_reference", "comparable", "precision", "average", "flag", "submitted_at"]
    list_filter = ["suite", "is_reference", "comparable", "precision", "model_type"]
    search_fields = ["model_id"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None or obj.is_reference:
            kwargs["form"] = ReferenceEntryForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None or obj.is_reference:
            return [
                "suite",
                "model_id",
                "reference_source",
                "num_fewshot",
                "scoring",
                "scores",
                "random_baseline",
                "model_type",
                "params_billions",
                "license",
            ]
        return [f.name for f in LeaderboardEntry._meta.fields if f.name != "id"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.is_reference:
            return []
        return self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or obj.is_reference)

    def delete_model(self, request, obj):
        reference_delete(obj)

    def delete_queryset(self, request, queryset):
        for entry in queryset.filter(is_reference=True):
            reference_delete(entry)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        reference_save(
            entry=obj,
            suite=data["suite"],
            model_id=data["model_id"],
            scores=data["scores"],
            reference_source=data["reference_source"],
            model_type=data["model_type"],
            params_billions=data["params_billions"],
            license=data["license"],
            num_fewshot=data["num_fewshot"],
            scoring=data["scoring"],
        )


class FlagCommentInline(admin.TabularInline):
    model = FlagComment
    extra = 0
    fields = ["created_at", "user", "text"]
    readonly_fields = ["created_at", "user", "text"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    """Staff uphold or dismiss a flag with a note; the ranking's 🏴‍☠️ and hiding follow at once."""

    form = FlagModerationForm
    list_display = ["id", "model_id", "reason", "status", "user", "created_at", "moderated_at"]
    list_filter = ["status", "reason"]
    search_fields = ["model_id", "user__username", "explanation"]
    fields = [
        "model_id",
        "user",
        "reason",
        "explanation",
        "evidence",
        "created_at",
        "status",
        "moderation_note",
        "moderator",
        "moderated_at",
    ]
    readonly_fields = [
        "model_id",
        "user",
        "reason",
        "explanation",
        "evidence",
        "created_at",
        "moderator",
        "moderated_at",
    ]
    inlines = [FlagCommentInline]

    def has_add_permission(self, request):
        return False  # users raise flags on the site

    def get_changeform_initial_data(self, request):
        return {"status": FlagStatus.UPHELD}

    def save_model(self, request, obj, form, change):
        flag_moderate(
            flag=obj, actor=request.user, status=form.cleaned_data["status"], note=form.cleaned_data["moderation_note"]
        )
