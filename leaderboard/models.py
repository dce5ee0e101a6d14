from django.db import models


class LeaderboardEntry(models.Model):
    """A ranked submission, denormalised so a ranking page is one indexed query.

    Written by leaderboard.services.entry_refresh when a run finishes; never per request.
    """

    suite = models.ForeignKey("evaluation.Suite", on_delete=models.CASCADE, related_name="entries")
    submission = models.OneToOneField(
        "submissions.ModelSubmission", on_delete=models.CASCADE, related_name="leaderboard_entry"
    )
    run = models.ForeignKey("evaluation.EvalRun", on_delete=models.CASCADE, related_name="+")
    model_id = models.CharField(max_length=200)
    commit_sha = models.CharField(max_length=40)
    precision = models.CharField(max_length=16)
    scores = models.JSONField(help_text="{lm-eval task: score in [0, 1]}")
    average = models.FloatField()
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-average"]
        indexes = [models.Index(fields=["suite", "-average"], name="entry_suite_average")]

    def __str__(self):
        return f"{self.model_id} {self.average:.4f}"
