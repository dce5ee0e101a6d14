"""The one COPY writer: what goes in comes back as it was, other columns get their defaults, keys come first."""

import json

import pytest
from django.db import connection, transaction
from django.utils import timezone

from core.bulk import ids_take, model_rows_copy, rows_copy
from evaluation.models import EvalRun, RunStatus
from tests.factories import ModelSubmissionFactory

pytestmark = pytest.mark.django_db

AWKWARD = [
    ("tab\there", 1, json.dumps({"nested": ["a\\b", 'quote"d']})),
    ("new\nline and \\N and \\.", None, json.dumps(None)),
    ("ünïcode ☃ and \r", -(2**40), json.dumps({"x": 1.5})),
    ("", 0, json.dumps([])),
]


def test_rows_come_back_exactly_as_written_whatever_their_characters():
    with connection.cursor() as cursor:
        cursor.execute('CREATE TEMPORARY TABLE "bulk test" (name text, "order" bigint, doc jsonb)')
    rows = iter(AWKWARD)  # a generator is read as it is written
    assert rows_copy(table="bulk test", columns=["name", "order", "doc"], rows=rows) == len(AWKWARD)
    with connection.cursor() as cursor:
        cursor.execute('SELECT name, "order", doc::text FROM "bulk test"')
        back = [(name, order, json.dumps(json.loads(doc))) for name, order, doc in cursor.fetchall()]
    assert sorted(back, key=str) == sorted(AWKWARD, key=str)


def test_a_row_that_fails_midway_leaves_nothing_behind():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bulk_fail (n integer NOT NULL)")

    def rows():
        yield (1,)
        yield (2,)
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"), transaction.atomic():
        rows_copy(table="bulk_fail", columns=["n"], rows=rows())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bulk_fail")
        assert cursor.fetchone() == (0,)


def test_model_rows_take_keys_from_the_sequence_and_defaults_for_the_other_columns():
    submission = ModelSubmissionFactory()
    ids = ids_take(model=EvalRun, count=3)
    assert len(set(ids)) == 3 and ids_take(model=EvalRun, count=0) == []
    now = timezone.now()
    rows = [(run_id, submission.pk, RunStatus.QUEUED, now) for run_id in ids]
    assert model_rows_copy(model=EvalRun, fields=("id", "submission", "status", "created_at"), rows=rows) == 3
    later = EvalRun.objects.create(submission=submission)  # the sequence moved past the COPYed keys
    assert later.pk > max(ids)
    later.refresh_from_db()
    made = EvalRun.objects.filter(pk__in=ids)
    assert set(made.values_list("pk", flat=True)) == set(ids)
    for field in EvalRun._meta.concrete_fields:
        if field.name not in ("id", "submission", "status", "created_at") and field.has_default():
            assert [getattr(run, field.attname) for run in made] == [getattr(later, field.attname)] * 3, field.name
