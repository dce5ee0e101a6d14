from django.contrib import admin

from leaderboard.models import LeaderboardEntry


@admin.register(LeaderboardEntry)
class LeaderboardEntryAdmin(admin.ModelAdmin):
    list_display = ["model_id", "suite", "precision", "average", "submitted_at"]
    list_filter = ["suite", "precision"]
    search_fields = ["model_id"]
    readonly_fields = ["suite", "submission", "run", "model_id", "commit_sha", "precision", "scores", "average",
                       "submitted_at"]  # fmt: skip
