"""The runs' bulk creation (an import's runs) writes each step of its machine as a history row."""

import json

import pytest
from django.utils import timezone

from core.bulk import ids_take
from core.errors import TransitionError
from core.transitions import status_path
from evaluation.models import EvalRun, RunEvent, RunStatus
from evaluation.transitions import TRANSITIONS, runs_create_bulk
from tests.factories import ModelSubmissionFactory

pytestmark = pytest.mark.django_db


def test_bulk_runs_get_their_status_with_every_step_of_the_machine_as_history():
    submission, now = ModelSubmissionFactory(), timezone.now()
    finished, failed = ids_take(model=EvalRun, count=2)
    runs = [
        {"id": run_id, "submission": submission.pk, "status": status, "created_at": now, "record": json.dumps({})}
        for run_id, status in ((finished, RunStatus.FINISHED), (failed, RunStatus.FAILED))
    ]
    assert runs_create_bulk(runs=runs, notes=["ran there", "failed there"]) == 2
    for run_id, status, note in (
        (finished, RunStatus.FINISHED, "ran there"),
        (failed, RunStatus.FAILED, "failed there"),
    ):
        run = EvalRun.objects.get(pk=run_id)
        assert run.status == status
        steps = list(run.events.order_by("pk").values_list("from_status", "to_status"))
        assert steps == [("", RunStatus.QUEUED), (RunStatus.QUEUED, RunStatus.RUNNING), (RunStatus.RUNNING, status)]
        assert set(run.events.values_list("note", flat=True)) == {note}


def test_a_status_no_way_leads_to_is_refused_and_nothing_is_written():
    submission, now = ModelSubmissionFactory(), timezone.now()
    [run_id] = ids_take(model=EvalRun, count=1)
    run = {"id": run_id, "submission": submission.pk, "status": "LOST", "created_at": now, "record": "{}"}
    with pytest.raises(TransitionError):
        runs_create_bulk(runs=[run], notes=["?"])
    assert not EvalRun.objects.filter(pk=run_id).exists() and not RunEvent.objects.filter(run_id=run_id).exists()
    with pytest.raises(TransitionError):
        status_path(TRANSITIONS, RunStatus.FAILED, RunStatus.FINISHED)
    assert status_path(TRANSITIONS, RunStatus.QUEUED, RunStatus.QUEUED) == []
