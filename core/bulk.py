"""The one way rows go into Postgres by COPY: samples, imports, ranking entries, synthetic data."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model
from psycopg import sql


def rows_copy(*, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (each the values of ``columns``, in that order) into ``table``, in the caller's transaction;
    returns how many. ``rows`` may be a generator: each row is written as it comes."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    count = 0
    with connection.cursor() as cursor:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
    return count


def model_rows_copy(*, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (values of ``model``'s ``fields``, by name, as the database stores them: JSON as text) into its
    table; its other columns but the primary key get their fields' defaults. Returns how many."""
    rest = [f for f in model._meta.concrete_fields if f.name not in fields and not f.primary_key]
    defaults = tuple(f.get_db_prep_save(f.get_default(), connection) for f in rest)
    # the stubs allow a relation (no column) and a field without one; ``fields`` and ``rest`` are concrete fields
    columns: list[str] = [*(model._meta.get_field(name).column for name in fields), *(f.column for f in rest)]  # type: ignore[union-attr, list-item]
    return rows_copy(table=model._meta.db_table, columns=columns, rows=(tuple(row) + defaults for row in rows))


def model_dicts_copy(*, model: type[Model], rows: Sequence[dict[str, Any]]) -> int:
    """COPY ``rows``, dicts of the same fields of ``model`` (see model_rows_copy); returns how many."""
    if not rows:
        return 0
    fields = tuple(rows[0])
    return model_rows_copy(model=model, fields=fields, rows=(tuple(row[name] for name in fields) for row in rows))


def ids_take(*, model: type[Model], count: int) -> list[int]:
    """``count`` primary keys taken from ``model``'s sequence, for rows COPYed with them (children refer to them)."""
    if not count:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, count],
        )
        return [row[0] for row in cursor.fetchall()]
