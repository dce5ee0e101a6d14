"""Histograms counted by Postgres, in the shape Prometheus reads them."""

from dataclasses import dataclass

from django.db import connection


@dataclass(frozen=True)
class Histogram:
    """Prometheus's shape: how many values were at most each bound (cumulative), how many in all, their sum."""

    bounds: tuple[float, ...]
    cumulative: tuple[int, ...]
    count: int
    total: float


def histograms_of(values_sql: str, bounds: tuple[float, ...]) -> dict[str, Histogram]:
    """Histograms of ``values_sql``, a query of (label, value) rows, one per label, counted in the database."""
    counts = ", ".join(f"count(*) FILTER (WHERE value <= {float(bound)!r})" for bound in bounds)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT label, count(*), coalesce(sum(value), 0), {counts} FROM ({values_sql}) AS v(label, value) "
            "GROUP BY label ORDER BY label"
        )
        return {
            label: Histogram(bounds=bounds, cumulative=tuple(cumulative), count=count, total=float(total))
            for label, count, total, *cumulative in cursor.fetchall()
        }
