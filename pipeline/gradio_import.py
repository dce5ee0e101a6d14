"""Bring a Gradio leaderboard's history (its requests and results datasets, see pipeline.gradio) into a suite.

A model in one precision and weight type becomes one submission, owned by the "imported" system user and
marked imported: FINISHED with one finished run per results file (the newest one ranked, the others kept
as earlier runs) when it has results; else PENDING_REVIEW, QUEUED (a run queued here) or FAILED as its
request says. Rows go in with COPY in one transaction, their statuses and history rows written by the status
machines' bulk functions (submissions.transitions, evaluation.transitions), and the ranking is refreshed once at
the end. Imported runs have task results with their stderr, the results file as it
was, and no samples.

Running it again adds only what is new: a results file already imported is skipped, a request whose
submission exists changes nothing, and new results files of an imported model add runs to it.
"""

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from catalogue.models import Suite, SuiteTask
from catalogue.precision import WeightType
from core.bulk import ids_take, model_rows_copy
from core.errors import DomainError, TransitionError
from core.transitions import status_path
from evaluation.models import EvalRun, ResultsFile, RunStatus, TaskResult
from evaluation.transitions import runs_create_bulk
from pipeline.gradio import GradioFileError, GradioRequest, GradioResult, json_files, request_read, results_read
from pipeline.intake import submission_approve
from rankings.services import entries_refresh_runs
from submissions.hub import ModelFacts
from submissions.models import ACTIVE_STATUSES, ModelSubmission, ModelType, Status
from submissions.transitions import TRANSITIONS, Leg, submissions_create_bulk, submissions_move_bulk

IMPORTED_USERNAME = "imported"
FAILED_THERE = "failed on the Gradio leaderboard before the import (it kept no reason)"


class GradioImportError(DomainError):
    """The import cannot start (nothing was read or written)."""


@dataclass
class ImportReport:
    dry_run: bool
    problems: list[str] = field(default_factory=list)  # "path: reason", one per file skipped
    created: Counter = field(default_factory=Counter)  # submissions by status
    runs: int = 0  # finished runs written
    extended: int = 0  # imported submissions that got new runs
    unchanged: int = 0  # submissions imported before, with nothing new
    ranked: int = 0  # ranking entries written

    def problem(self, path: Path, reason: str) -> None:
        self.problems.append(f"{path}: {reason}")

    def summary(self, suite: Suite) -> str:
        made = ", ".join(f"{count} {Status(status).label}" for status, count in sorted(self.created.items())) or "none"
        verb = "would import" if self.dry_run else "imported"
        return (
            f"{verb} into {suite.slug}: new submissions {made}; {self.runs} finished runs; {self.extended} submissions "
            f"imported before got new runs; {self.unchanged} unchanged; {len(self.problems)} files skipped"
            + ("" if self.dry_run else f"; {self.ranked} ranking entries refreshed")
        )


@dataclass
class _Unit:
    """What becomes one submission: a model in one precision and weight type, its request and results."""

    model_id: str
    precision: str
    weight_type: str
    request: GradioRequest | None
    results: list[GradioResult] = field(default_factory=list)  # oldest first

    @property
    def path(self) -> Path:
        return self.request.path if self.request else self.results[-1].path


@dataclass
class _New:
    unit: _Unit
    status: str
    commit_sha: str
    submitted_at: datetime
    results: list[GradioResult]


@dataclass
class _Extend:
    submission_id: int
    status: str
    results: list[GradioResult]


def leaderboard_import(*, suite: Suite, results_dir: Path, requests_dir: Path, dry_run: bool = False) -> ImportReport:
    """Import every file under ``results_dir`` and ``requests_dir`` into ``suite`` (see the module's doc);
    with ``dry_run`` only say what it would do. Files that cannot be imported are in the report's problems."""
    for folder in (results_dir, requests_dir):
        if not Path(folder).is_dir():
            raise GradioImportError(f"{folder} is not a folder")
    report = ImportReport(dry_run=dry_run)
    suite_tasks = list(suite.tasks.all())
    if not suite_tasks:
        raise GradioImportError(f"the suite {suite.slug} has no tasks")
    results = []
    for path in json_files(Path(results_dir)):
        try:
            results.append(results_read(path, Path(results_dir), suite, suite_tasks))
        except GradioFileError as exc:
            report.problem(path, str(exc))
    requests = []
    for path in json_files(Path(requests_dir)):
        try:
            requests.append(request_read(path))
        except GradioFileError as exc:
            report.problem(path, str(exc))
    units = _units(results, requests, report)
    with transaction.atomic():
        if not dry_run:  # one import of a suite at a time
            Suite.objects.select_for_update().filter(pk=suite.pk).exists()
        new, extend = _plan(suite, units, report)
        if not dry_run:
            _write(suite, suite_tasks, new, extend, report)
    return report


def _units(results: list[GradioResult], requests: list[GradioRequest], report: ImportReport) -> list[_Unit]:
    """One unit per model, precision and weight type; a model's results join its request of that precision
    (the FINISHED one first, as the template does), or stand alone as Original weights."""
    oldest = datetime.min.replace(tzinfo=UTC)
    by_key: dict[tuple[str, str, str], GradioRequest] = {}
    request: GradioRequest | None
    for request in sorted(requests, key=lambda r: (r.finished, r.submitted_at or oldest, str(r.path)), reverse=True):
        key = (request.model_id, request.precision, request.weight_type)
        if key in by_key:
            report.problem(request.path, f"{by_key[key].path.name} is for the same model, precision and weight type")
        else:
            by_key[key] = request
    by_precision: dict[tuple[str, str], GradioRequest] = {}
    for (model_id, precision, _), request in by_key.items():
        by_precision.setdefault((model_id, precision), request)
    units = {key: _Unit(*key, request=request) for key, request in by_key.items()}
    grouped: dict[tuple[str, str], list[GradioResult]] = defaultdict(list)
    for result in results:
        grouped[result.model_id, result.precision].append(result)
    for (model_id, precision), found in grouped.items():
        request = by_precision.get((model_id, precision))
        key = (model_id, precision, request.weight_type if request else WeightType.ORIGINAL)
        units.setdefault(key, _Unit(*key, request=None)).results = sorted(found, key=lambda r: (r.date, r.name))
    return list(units.values())


def _can_finish(status: str) -> bool:
    """Whether a submission that is ``status`` can become FINISHED along its machine."""
    try:
        status_path(TRANSITIONS, status, Status.FINISHED)
    except TransitionError:
        return False
    return True


def _plan(suite: Suite, units: list[_Unit], report: ImportReport) -> tuple[list[_New], list[_Extend]]:
    imported = ModelSubmission.objects.filter(suite=suite, imported=True).order_by("pk")
    existing = {
        (m, p, w): (pk, status)
        for pk, m, p, w, status in imported.values_list("pk", "model_id", "precision", "weight_type", "status")
    }
    done = set(
        EvalRun.objects.filter(submission__suite=suite, submission__imported=True).values_list(
            "record__results_file", flat=True
        )
    )
    active = {
        (m, sha, p, w): status
        for m, sha, p, w, status in ModelSubmission.objects.filter(
            suite=suite, imported=False, status__in=ACTIVE_STATUSES
        ).values_list("model_id", "commit_sha", "precision", "weight_type", "status")
    }
    new: list[_New] = []
    extend: list[_Extend] = []
    for unit in units:
        fresh = [result for result in unit.results if result.name not in done]
        found = existing.get((unit.model_id, unit.precision, unit.weight_type))
        if not fresh and (found or unit.results):  # imported before (results: perhaps under another request)
            report.unchanged += 1
            continue
        if found:
            submission_id, status = found
            # A run of ours is on it (QUEUED, RUNNING), or a moderator closed it (REJECTED, CANCELLED).
            if status in (Status.QUEUED, Status.RUNNING) or not _can_finish(status):
                for result in fresh:
                    report.problem(result.path, f"{unit.model_id} ({unit.precision}) is {Status(status).label} here")
                continue
            extend.append(_Extend(submission_id, status, fresh))
            report.extended += 1
            report.runs += len(fresh)
            continue
        if fresh:
            status = Status.FINISHED
        elif unit.request is None or unit.request.status == Status.FINISHED:  # (None: not without results)
            report.problem(
                unit.path, f"finished there, but no usable results file of {unit.model_id} in {unit.precision}"
            )
            continue
        else:
            status = unit.request.status
        commit_sha = (fresh[-1].model_sha if fresh else "") or (unit.request.revision if unit.request else "main")
        clash = active.get((unit.model_id, commit_sha, unit.precision, unit.weight_type))
        if clash:
            report.problem(
                unit.path,
                f"{unit.model_id} at {commit_sha[:7]} in {unit.precision} is already submitted here "
                f"({Status(clash).label})",
            )
            continue
        submitted_at = (unit.request and unit.request.submitted_at) or (fresh[0].date if fresh else timezone.now())
        new.append(_New(unit, status, commit_sha, submitted_at, fresh))
        report.created[status] += 1
        report.runs += len(fresh)
    return new, extend


def imported_user():
    """The system user imported submissions belong to: created on first use, never able to log in."""
    user, created = get_user_model().objects.get_or_create(username=IMPORTED_USERNAME, defaults={"is_active": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    elif user.has_usable_password():
        raise GradioImportError(f"a person's account is named {IMPORTED_USERNAME!r}: rename it to import")
    return user


class _Rows:
    """The rows an import writes, built in memory, then COPYed table by table (parents first); statuses and history
    rows through the status machines' bulk functions."""

    def __init__(self, suite_tasks: list[SuiteTask], actor_id: int, run_ids: list[int]):
        self.suite_tasks, self.actor_id, self.run_ids = suite_tasks, actor_id, iter(run_ids)
        self.submissions: list[dict[str, Any]] = []
        self.histories: list[list[Leg]] = []
        self.moves: dict[int, Leg] = {}
        self.runs: list[dict[str, Any]] = []
        self.run_notes: list[str] = []
        self.results: list[tuple[Any, ...]] = []
        self.files: list[tuple[Any, ...]] = []

    def submission(self, fields: dict, moment: datetime, note: str) -> list[Leg]:
        """A new submission, created PENDING_REVIEW (imports skip the hub checks); returns its history, to extend."""
        self.submissions.append(fields)
        self.histories.append([Leg(Status.PENDING_REVIEW, moment, note)])
        return self.histories[-1]

    def run(self, submission_id: int, status: str, moment: datetime, result: GradioResult | None = None) -> None:
        """A run that ended ``status`` (FINISHED with ``result``'s scores, or FAILED)."""
        run_id = next(self.run_ids)
        record = {"imported_from": "a Gradio leaderboard"}
        if result is not None:
            record.update(results_file=result.name, model_sha=result.model_sha)
        self.runs.append(
            {
                "id": run_id,
                "submission": submission_id,
                "status": status,
                "created_at": moment,
                "finished_at": moment if result else None,
                "progress_stage": "finished" if result else "",
                "failure_reason": FAILED_THERE if status == RunStatus.FAILED else "",
                "record": json.dumps(record),
            }
        )
        self.run_notes.append(f"imported: {result.name}" if result else f"imported: {FAILED_THERE}")
        if result is not None:
            for t in self.suite_tasks:
                value, stderr = result.scores[t.task]
                self.results.append((run_id, t.task, t.metric, t.metric_filter, value, stderr, t.num_fewshot))
            self.files.append((run_id, result.date_id, result.data))

    def copy(self) -> None:
        submissions_create_bulk(submissions=self.submissions, histories=self.histories, actor_id=self.actor_id)
        submissions_move_bulk(legs=self.moves, actor_id=self.actor_id)
        runs_create_bulk(runs=self.runs, notes=self.run_notes)
        model_rows_copy(
            model=TaskResult,
            fields=("run", "task", "metric", "metric_filter", "value", "stderr", "num_fewshot"),
            rows=self.results,
        )
        model_rows_copy(model=ResultsFile, fields=("run", "date_id", "data"), rows=self.files)


def _write(
    suite: Suite, suite_tasks: list[SuiteTask], new: list[_New], extend: list[_Extend], report: ImportReport
) -> None:
    user = imported_user()
    now = timezone.now()
    locked = dict(
        ModelSubmission.objects.select_for_update()
        .filter(pk__in=[e.submission_id for e in extend])
        .values_list("pk", "status")
    )
    for acted in [e for e in extend if locked[e.submission_id] != e.status]:  # a moderator acted meanwhile
        extend.remove(acted)
        report.extended -= 1
        report.runs -= len(acted.results)
        for result in acted.results:
            report.problem(result.path, f"its submission became {Status(locked[acted.submission_id]).label} meanwhile")
    failed = sum(item.status == Status.FAILED for item in new)
    count = failed + sum(len(item.results) for item in new) + sum(len(item.results) for item in extend)
    rows = _Rows(suite_tasks, user.pk, ids_take(model=EvalRun, count=count))
    to_queue, to_rank = [], [e.submission_id for e in extend]
    for item, submission_id in zip(new, ids_take(model=ModelSubmission, count=len(new)), strict=True):
        unit, request = item.unit, item.unit.request
        facts = request.facts(item.commit_sha) if request else ModelFacts(unit.model_id, item.commit_sha).as_dict()
        fields = {
            "id": submission_id,
            "user": user.pk,
            "model_id": unit.model_id,
            "revision": request.revision if request else "main",
            "commit_sha": item.commit_sha,
            "precision": unit.precision,
            "weight_type": unit.weight_type,
            "base_model": facts["base_model"],
            "model_type": request.model_type if request else ModelType.PRETRAINED,
            "suite": suite.pk,
            "failure_reason": FAILED_THERE if item.status == Status.FAILED else "",
            "facts": json.dumps(facts),
            "quota_exempt": True,
            "imported": True,
            "created_at": item.submitted_at,
            "updated_at": now,
        }
        source = f"imported from {request.path.name if request else 'a Gradio leaderboard (no request file)'}"
        history = rows.submission(fields, item.submitted_at, source)
        if item.status == Status.FINISHED:
            to_rank.append(submission_id)
            note = f"imported: {len(item.results)} results file(s); the newest is ranked"
            history.append(Leg(Status.FINISHED, item.results[0].date, note))
            for result in item.results:
                rows.run(submission_id, RunStatus.FINISHED, result.date, result)
        elif item.status == Status.FAILED:
            history.append(Leg(Status.FAILED, item.submitted_at, FAILED_THERE))
            rows.run(submission_id, RunStatus.FAILED, item.submitted_at)
        elif item.status == Status.QUEUED:  # created PENDING_REVIEW, queued below by the service (with its run)
            to_queue.append(submission_id)
    for more in extend:
        note = f"imported: {len(more.results)} more results file(s)"
        rows.moves[more.submission_id] = Leg(Status.FINISHED, more.results[0].date, note)
        for result in more.results:
            rows.run(more.submission_id, RunStatus.FINISHED, result.date, result)
    rows.copy()
    ModelSubmission.objects.filter(pk__in=[e.submission_id for e in extend]).exclude(failure_reason="").update(
        failure_reason=""
    )
    for submission in ModelSubmission.objects.filter(pk__in=to_queue):
        submission_approve(submission, actor=None, note="running on the Gradio leaderboard when imported: queued here")
    newest = (
        EvalRun.objects.filter(submission_id__in=to_rank, status=RunStatus.FINISHED)
        .order_by("submission_id", "-finished_at", "-pk")
        .distinct("submission_id")
        .values_list("pk", flat=True)
    )
    report.ranked = entries_refresh_runs(list(newest))
