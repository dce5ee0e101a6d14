"""Reads behind the ranking pages: one indexed query on LeaderboardEntry per page."""

from django.conf import settings
from django.db.models import FloatField, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.http import Http404
from django.shortcuts import get_object_or_404

from evaluation.models import Suite, SuiteTask
from leaderboard.models import LeaderboardEntry


def score_field(index: int) -> str:
    return f"score_{index}"


def suite_for_ranking(slug: str | None) -> tuple[Suite, list[SuiteTask]]:
    """The suite named by ``slug`` (404 if none), or without one the default suite, else the first."""
    if slug is None:
        suite = Suite.objects.filter(slug=settings.DEFAULT_SUITE).first() or Suite.objects.first()
        if suite is None:
            raise Http404("No benchmark suite is loaded yet: run `python manage.py load_suites`.")
    else:
        suite = get_object_or_404(Suite, slug=slug)
    return suite, list(suite.tasks.all())


def ranking(suite: Suite, suite_tasks: list[SuiteTask]) -> QuerySet[LeaderboardEntry]:
    """The suite's ranked entries, best average first, each task score as a sortable column."""
    scores = {
        score_field(i): Cast(KeyTextTransform(t.task, "scores"), FloatField()) for i, t in enumerate(suite_tasks)
    }
    return LeaderboardEntry.objects.filter(suite=suite).annotate(**scores).order_by("-average", "model_id")
