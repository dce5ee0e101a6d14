"""Reads behind the ranking: a ranking page is one indexed query on LeaderboardEntry."""

from typing import Any, cast

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.fields.array import IndexTransform  # type: ignore[attr-defined]  # not in django-stubs
from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, F, FloatField, Q, QuerySet, Value, Window
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Rank

from catalogue.models import Suite, SuiteTask
from rankings.filters import RankingOptions, score_field
from rankings.models import LeaderboardEntry


def suite_for_ranking(slug: str | None) -> tuple[Suite, list[SuiteTask]] | None:
    """The suite named by ``slug``, or without one the default suite, else the first; with its tasks. None
    where there is no such suite (none at all: no suite is loaded yet)."""
    if slug is None:
        suite = Suite.objects.filter(slug=settings.DEFAULT_SUITE).first() or Suite.objects.first()
    else:
        suite = Suite.objects.filter(slug=slug).first()
    return None if suite is None else (suite, list(suite.tasks.all()))


def task_score(index: int, normalised: bool) -> IndexTransform:
    """The score of the task number ``index``: ``raw[index]`` written directly (resolving ``raw__0`` through the
    lookups costs, per column, a tenth of a page's query)."""
    scores = cast("ArrayField[Any, Any]", LeaderboardEntry._meta.get_field("norm" if normalised else "raw"))
    return IndexTransform(index + 1, scores.base_field, F(scores.name))


def entries_ordered(
    matching: QuerySet[LeaderboardEntry], suite_tasks: list[SuiteTask], options: RankingOptions
) -> QuerySet[LeaderboardEntry]:
    """The ``matching`` entries, best first, with ``avg`` (the average shown), ``rank`` (among submissions
    only: reference rows are never ranked) and each visible task's score as a sortable column."""
    visible = options.visible(suite_tasks)
    scores = {score_field(i): task_score(i, options.normalised) for i, t in visible}
    rows = matching.defer("scores", "raw", "norm").annotate(**scores)
    if options.visible_average and visible and len(visible) < len(suite_tasks):
        # An average of the user's choosing: ranked here, over all matching rows (a window on narrow rows).
        total = Value(0.0)
        for i, _ in visible:
            total = total + task_score(i, options.normalised)
        rows = rows.annotate(avg=total / Value(float(len(visible)))).annotate(
            shown_rank=Window(
                Rank(),
                partition_by=[
                    ExpressionWrapper(
                        Q(is_reference=False, flag__isnull=True, comparable=True), output_field=BooleanField()
                    )
                ],
                order_by=F("avg").desc(nulls_last=True),
            )
        )
    else:
        # The averages over all tasks are ranked when entries change (rankings.services.suite_ranks_refresh):
        # the first page is then the top of an index.
        rows = rows.annotate(
            avg=F("average_norm" if options.normalised else "average"),
            shown_rank=F("rank_norm" if options.normalised else "rank"),
        )
    if options.subject:  # the accuracy on one subject across the suite's breakdowns, best first
        score = Cast(KeyTextTransform("score", KeyTransform(options.subject, "subjects")), FloatField())
        return rows.annotate(subject_score=score).order_by(F("subject_score").desc(nulls_last=True), "model_id")
    return rows.order_by(F("avg").desc(nulls_last=True), "model_id")


def licenses_of(suite: Suite) -> list[str]:
    return list(
        LeaderboardEntry.objects.filter(suite=suite)
        .exclude(license="")
        .order_by("license")
        .values_list("license", flat=True)
        .distinct()
    )


def suite_subjects(suite_pk: int) -> list[str]:
    """The subjects of the suite's breakdowns that some entry has a score on, sorted: the ranking's subject
    picker and what its ``subject`` parameter may name."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT jsonb_object_keys(subjects) FROM {LeaderboardEntry._meta.db_table} "
            "WHERE suite_id = %s AND jsonb_typeof(subjects) = 'object' ORDER BY 1",
            [suite_pk],
        )
        return [subject for (subject,) in cursor.fetchall()]


def suite_medians(suite: Suite, suite_tasks: list[SuiteTask]) -> dict[str, float]:
    """The median score of each task over the suite's ranked submissions (unflagged, comparable)."""
    if not suite_tasks:
        return {}
    table = LeaderboardEntry._meta.db_table
    columns = ", ".join("percentile_cont(0.5) WITHIN GROUP (ORDER BY (scores ->> %s)::float)" for _ in suite_tasks)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {table} WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND comparable",
            [*(t.task for t in suite_tasks), suite.pk],
        )
        row = cursor.fetchone()
    return {t.task: value for t, value in zip(suite_tasks, row, strict=True) if value is not None}


DEMO_SUITE = "demo-medical"


def empty_suite_hint(suite: Suite) -> dict[str, str] | None:
    """For a suite nobody is ranked on: where the demo board is ({"slug", "name"} when it has rows, {} when the
    demo has not been run); None when the suite has rows."""
    if LeaderboardEntry.objects.filter(suite=suite).exists():
        return None
    demo = Suite.objects.filter(slug=DEMO_SUITE, entries__isnull=False).exclude(pk=suite.pk).first()
    return {"slug": demo.slug, "name": demo.name} if demo else {}
