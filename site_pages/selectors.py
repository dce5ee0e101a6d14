"""The plots' reads: one query each on the suite's ranked, unflagged, comparable entries."""

from typing import Any

from django.db import connection

from catalogue.models import Suite, SuiteTask
from rankings.models import LeaderboardEntry


def top_score_history(suite: Suite) -> list[dict[str, Any]]:
    """Each time the best average of the suite's ranked, unflagged submissions went up: when, by whom, to what."""
    table = LeaderboardEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT model_id, submitted_at, average FROM (
                SELECT model_id, submitted_at, average,
                       max(average) OVER (ORDER BY submitted_at, id ROWS BETWEEN UNBOUNDED PRECEDING
                                          AND 1 PRECEDING) AS best_before
                FROM {table}
                WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND comparable AND average IS NOT NULL
            ) steps
            WHERE best_before IS NULL OR average > best_before
            ORDER BY submitted_at
            """,
            [suite.pk],
        )
        return [
            {"model": model_id, "date": submitted_at.isoformat(), "score": average}
            for model_id, submitted_at, average in cursor.fetchall()
        ]


def score_against_size(suite: Suite, shown: int = 1500) -> dict[str, Any]:
    """The average of the suite's ranked, unflagged submissions against their size in billions of parameters:
    the ``shown`` best as points, and the best-per-size frontier over all of them (each model that no smaller
    or equal-sized one beats), smallest first."""
    table = LeaderboardEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT model_id, params_billions, average FROM {table}
            WHERE suite_id = %s AND NOT is_reference AND flag_id IS NULL AND comparable AND average IS NOT NULL
                  AND params_billions > 0
            ORDER BY params_billions, average DESC, model_id
            """,
            [suite.pk],
        )
        rows = cursor.fetchall()
    frontier, best = [], None
    for model_id, params, average in rows:
        if best is None or average > best:
            best = average
            frontier.append({"model": model_id, "params": params, "score": average})
    points = sorted(rows, key=lambda row: -row[2])[:shown]
    return {
        "points": [{"model": m, "params": p, "score": a} for m, p, a in points],
        "frontier": frontier,
        "total": len(rows),
    }


def score_distribution(suite: Suite, suite_tasks: list[SuiteTask], bins: int = 20) -> list[dict[str, Any]]:
    """Per task, how many ranked, unflagged submissions score in each of ``bins`` equal slices of [0, 1]."""
    table = LeaderboardEntry._meta.db_table
    counts = {t.task: [0] * bins for t in suite_tasks}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.key, least(width_bucket(s.value::float, 0, 1, %s), %s) AS bucket, count(*)
            FROM {table} e, jsonb_each_text(e.scores) s
            WHERE e.suite_id = %s AND NOT e.is_reference AND e.flag_id IS NULL AND e.comparable
            GROUP BY 1, 2
            """,
            [bins, bins, suite.pk],
        )
        for task, bucket, count in cursor.fetchall():
            if task in counts and bucket >= 1:
                counts[task][bucket - 1] = count
    return [{"task": t.task, "name": t.name, "choices": t.choices, "counts": counts[t.task]} for t in suite_tasks]
