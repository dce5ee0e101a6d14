"""Importing a Gradio leaderboard's results and requests datasets, and exporting a suite back to them."""

import io
import json
from datetime import UTC, datetime

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from catalogue.models import SuiteTask
from catalogue.services import SuiteFileError, suite_load
from evaluation.models import EvalRun, ResultsFile, RunEvent, RunStatus, TaskResult
from evaluation.transitions import TRANSITIONS as RUN_TRANSITIONS
from flags.models import Flag, FlagReason, FlagStatus
from pipeline.gradio import GradioFileError, model_type_parse, precision_parse
from pipeline.gradio_export import model_type_label
from pipeline.intake import submission_requeue
from rankings.models import LeaderboardEntry, RankingVersion
from rankings.services import entries_refresh_runs, entry_refresh
from submissions.models import ModelSubmission, ModelType, Status, SubmissionEvent
from submissions.transitions import TRANSITIONS as SUBMISSION_TRANSITIONS
from tests.factories import ModeratorFactory

# The medical suite's tasks as the Open Medical LLM Leaderboard's results name them.
GRADIO_TASKS = [
    "medmcqa",
    "medqa_4options",
    "mmlu_anatomy",
    "mmlu_clinical_knowledge",
    "mmlu_college_biology",
    "mmlu_college_medicine",
    "mmlu_medical_genetics",
    "mmlu_professional_medicine",
    "pubmedqa",
]
SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture
def medical(suites):
    return suites["medical"]


@pytest.fixture
def data(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "requests").mkdir()
    return tmp_path


def write_results(
    data,
    model,
    *,
    date="2024-02-03T04-05-06.123456",
    dtype="torch.float16",
    score=0.5,
    stderr=0.01,
    bare=False,
    tasks=GRADIO_TASKS,
    sha=SHA,
):
    """A results file as the template's backend writes it (``bare``: metric names of older harnesses)."""
    acc, acc_stderr = ("acc", "acc_stderr") if bare else ("acc,none", "acc_stderr,none")
    path = data / "results" / model / f"results_{date}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    results = {task: {acc: score + i / 100, acc_stderr: stderr, "alias": task} for i, task in enumerate(tasks)}
    config = {"model_dtype": dtype, "model_name": model, "model_sha": sha}
    path.write_text(json.dumps({"config": config, "results": results}))
    return path


def write_request(data, model, *, status="FINISHED", precision="float16", weight_type="Original", **fields):
    org, name = model.split("/", 1) if "/" in model else ("bad", model)
    path = data / "requests" / org / f"{name}_eval_request_False_{precision}_{weight_type}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    request = {
        "model": model,
        "base_model": "",
        "revision": "main",
        "private": False,
        "precision": precision,
        "weight_type": weight_type,
        "status": status,
        "submitted_time": "2024-01-01T10:00:00Z",
        "model_type": "🟢 : pretrained",
        "likes": 12,
        "params": 7.24,
        "license": "apache-2.0",
        **fields,
    }
    path.write_text(json.dumps(request))
    return path


def run_import(data, *extra):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_leaderboard",
        "--results",
        str(data / "results"),
        "--requests",
        str(data / "requests"),
        "--suite",
        "medical",
        *extra,
        stdout=out,
        stderr=err,
    )
    return out.getvalue(), err.getvalue()


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (ModelSubmission, SubmissionEvent, EvalRun, RunEvent, TaskResult, ResultsFile, LeaderboardEntry)
    }


def assert_histories_follow_the_machines():
    for submission in ModelSubmission.objects.all():
        steps = list(submission.events.values_list("from_status", "to_status"))
        assert steps[0] == ("", Status.PENDING_REVIEW)
        for (_, before), (start, after) in zip(steps, steps[1:], strict=False):
            assert start == before and after in SUBMISSION_TRANSITIONS[start]
        assert steps[-1][1] == submission.status
    for run in EvalRun.objects.all():
        steps = list(run.events.values_list("from_status", "to_status"))
        assert steps[0] == ("", RunStatus.QUEUED)
        for (_, before), (start, after) in zip(steps, steps[1:], strict=False):
            assert start == before and after in RUN_TRANSITIONS[start]
        assert steps[-1][1] == run.status


# --- the round trip -----------------------------------------------------------------------------------


def rank_natively(
    suite,
    model_id,
    *,
    precision,
    base,
    submitted,
    finished,
    weight_type="Original",
    base_model="",
    model_type=ModelType.PRETRAINED,
    facts=None,
):
    """A model ranked the platform's way: a finished submission and run with its TaskResults, then entry_refresh."""
    submission = ModelSubmission.objects.create(
        model_id=model_id,
        commit_sha=SHA,
        precision=precision,
        weight_type=weight_type,
        base_model=base_model,
        model_type=model_type,
        suite=suite,
        status=Status.FINISHED,
        facts={"model_id": model_id, **(facts or {})},
    )
    ModelSubmission.objects.filter(pk=submission.pk).update(created_at=submitted)
    submission.created_at = submitted
    run = EvalRun.objects.create(submission=submission, status=RunStatus.FINISHED, finished_at=finished)
    for i, t in enumerate(suite.tasks.all()):
        TaskResult.objects.create(
            run=run,
            task=t.task,
            metric=t.metric,
            metric_filter=t.metric_filter,
            value=base + i / 50,
            stderr=0.005 + i / 1000,
        )
    return entry_refresh(run)


def api_view(client, suite) -> tuple[list, dict]:
    """What the API says: the ranking, and per model its submissions' dates and runs' scores with stderr."""
    ranking = client.get(f"/api/leaderboard/{suite.slug}/").json()["rows"]
    models = {}
    for row in ranking:
        detail = client.get(f"/api/models/{row['model']}/").json()
        models[row["model"]] = [
            {
                "precision": s["precision"],
                "weight_type": s["weight_type"],
                "base_model": s["base_model"],
                "model_type": s["model_type"],
                "commit_sha": s["commit_sha"],
                "created_at": s["created_at"],
                "status": s["status"],
                "runs": [
                    {
                        "finished_at": r["finished_at"],
                        "results": sorted((x["task"], x["metric"], x["value"], x["stderr"]) for x in r["results"]),
                    }
                    for r in s["runs"]
                ],
            }
            for s in detail["submissions"]
        ]
    return ranking, models


def test_an_exported_suite_imports_back_into_an_empty_database_with_the_same_api(medical, client, tmp_path):
    rank_natively(
        medical,
        "org-a/medic-7b",
        precision="bfloat16",
        base=0.6,
        submitted=datetime(2024, 3, 1, 12, 30, 15, 250000, tzinfo=UTC),
        finished=datetime(2024, 3, 2, 8, 0, 0, 123456, tzinfo=UTC),
        facts={"license": "mit", "likes": 40, "num_params": 7_241_732_096},
    )
    rank_natively(
        medical,
        "org-b/clinic-13b",
        precision="float16",
        base=0.5,
        submitted=datetime(2023, 11, 5, 9, 0, 0, tzinfo=UTC),
        finished=datetime(2023, 11, 6, 1, 2, 3, 400000, tzinfo=UTC),
        model_type=ModelType.CHAT,
        facts={"license": "llama2", "likes": 3, "num_params": 13_000_000_000},
    )
    rank_natively(
        medical,
        "org-b/clinic-13b-lora",
        precision="8bit",
        base=0.4,
        weight_type="Adapter",
        base_model="org-b/clinic-13b",
        submitted=datetime(2024, 1, 1, tzinfo=UTC),
        finished=datetime(2024, 1, 2, tzinfo=UTC),
        model_type=ModelType.FINE_TUNED,
    )
    before = api_view(client, medical)
    entries_before = {
        e.model_id: (e.precision, e.weight_type, e.model_type, e.license, e.likes, e.params_billions, e.submitted_at)
        for e in LeaderboardEntry.objects.all()
    }
    out = io.StringIO()
    call_command("export_leaderboard", "medical", str(tmp_path / "gradio"), stdout=out)
    assert "wrote 3 models" in out.getvalue()
    exported = json.loads(next((tmp_path / "gradio/results/org-a/medic-7b").glob("results_*.json")).read_text())
    assert exported["config"]["model_dtype"] == "torch.bfloat16"
    assert "pubmedqa" in exported["results"] and "pubmedqa_pqal" not in exported["results"]  # the Gradio name
    request = json.loads(
        (tmp_path / "gradio/requests/org-b/clinic-13b_eval_request_False_float16_Original.json").read_text()
    )
    assert request["model_type"] == "💬 : chat / instruction-tuned" and request["status"] == "FINISHED"

    ModelSubmission.objects.all().delete()  # an empty database: nothing ranked, nothing submitted
    assert client.get("/api/leaderboard/medical/").json()["rows"] == []
    out, err = run_import(tmp_path / "gradio")
    assert err == ""
    assert "3 finished" in out

    assert api_view(client, medical) == before
    assert {
        e.model_id: (e.precision, e.weight_type, e.model_type, e.license, e.likes, e.params_billions, e.submitted_at)
        for e in LeaderboardEntry.objects.all()
    } == entries_before
    owners = set(ModelSubmission.objects.values_list("user__username", "imported", "quota_exempt"))
    assert owners == {("imported", True, True)}
    assert not get_user_model().objects.get(username="imported").has_usable_password()
    assert_histories_follow_the_machines()


def test_the_bulk_ranking_writes_what_ranking_one_run_at_a_time_writes(medical):
    one = rank_natively(
        medical,
        "org/one",
        precision="float16",
        base=0.5,
        submitted=datetime(2024, 1, 1, tzinfo=UTC),
        finished=datetime(2024, 1, 2, tzinfo=UTC),
        facts={"license": "mit", "num_params": 7e9},
    )
    two = rank_natively(
        medical,
        "org/two",
        precision="float16",
        base=0.6,
        submitted=datetime(2024, 1, 1, tzinfo=UTC),
        finished=datetime(2024, 1, 2, tzinfo=UTC),
    )
    moderator = get_user_model().objects.create_user("mod", is_staff=True)
    moderator.user_permissions.add(Permission.objects.get(codename="change_modelsubmission"))
    Flag.objects.create(
        model_id="org/two",
        user=moderator,
        reason=FlagReason.MERGE,
        explanation="a merge",
        status=FlagStatus.UPHELD,
        moderated_at=datetime(2024, 2, 1, tzinfo=UTC),
    )
    entry_refresh(two.run)
    fields = [f.attname for f in LeaderboardEntry._meta.concrete_fields if f.name not in ("id", "updated_at")]
    one_at_a_time = list(LeaderboardEntry.objects.order_by("model_id").values_list(*fields))
    version = RankingVersion.objects.get(suite=medical).version
    assert entries_refresh_runs([one.run_id, two.run_id]) == 2
    assert list(LeaderboardEntry.objects.order_by("model_id").values_list(*fields)) == one_at_a_time
    assert RankingVersion.objects.get(suite=medical).version == version + 1
    two.refresh_from_db()
    assert (two.flag.reason, two.is_merged, two.rank, one.rank) == (FlagReason.MERGE, True, None, 1)


# --- the formats --------------------------------------------------------------------------------------


def test_old_and_new_metric_names_are_read_and_pubmedqa_is_matched_by_its_alias(medical, data):
    write_results(data, "org/new-form", score=0.5, stderr=0.02)
    write_results(data, "org/old-form", score=0.3, stderr=0.03, bare=True)
    write_request(data, "org/new-form")
    write_request(data, "org/old-form")
    out, err = run_import(data)
    assert err == ""
    for model, score, stderr in (("org/new-form", 0.5, 0.02), ("org/old-form", 0.3, 0.03)):
        entry = LeaderboardEntry.objects.get(model_id=model)
        assert entry.scores["medmcqa"] == pytest.approx(score)
        assert entry.scores["pubmedqa_pqal"] == pytest.approx(score + 0.08)
        results = TaskResult.objects.filter(run=entry.run)
        assert results.count() == 9
        assert {r.stderr for r in results} == {stderr}
        assert set(results.values_list("metric", "metric_filter")) == {("acc", "none")}
    assert LeaderboardEntry.objects.get(model_id="org/new-form").rank == 1


def test_nan_and_infinity_are_read_as_missing(medical, data):
    path = write_results(data, "org/m")
    path.write_text(path.read_text().replace('"acc_stderr,none": 0.01', '"acc_stderr,none": NaN', 1))
    write_request(data, "org/m")
    out, err = run_import(data)
    assert err == ""
    run = EvalRun.objects.get()
    assert TaskResult.objects.get(run=run, task="medmcqa").stderr is None
    assert ResultsFile.objects.get(run=run).data["results"]["medmcqa"]["acc_stderr,none"] is None
    path.write_text(path.read_text().replace('"acc,none": 0.5', '"acc,none": Infinity', 1))
    path.rename(path.with_name("results_2025-01-01T00-00-00.000000.json"))
    out, err = run_import(data)
    assert "refused: it has no score for medical's tasks medmcqa" in err


def test_the_medical_suite_declares_pubmedqa_as_an_alias_and_aliases_must_be_a_list(medical, tmp_path):
    assert SuiteTask.objects.get(suite=medical, task="pubmedqa_pqal").aliases == ["pubmedqa"]
    assert SuiteTask.objects.get(suite=medical, task="medmcqa").aliases == []
    bad = tmp_path / "bad.yaml"
    bad.write_text("slug: bad\ntasks:\n  - task: a\n    aliases: pubmedqa\n")
    with pytest.raises(SuiteFileError, match="aliases must be a list"):
        suite_load(bad)


@pytest.mark.parametrize(
    "label, ours",
    [
        ("torch.float16", "float16"),
        ("torch.bfloat16", "bfloat16"),
        ("float32", "float32"),
        ("torch.float32", "float32"),
        ("float16", "float16"),
        ("bfloat16", "bfloat16"),
        ("8bit", "8bit"),
        ("4bit", "4bit"),
        ("GPTQ", "GPTQ"),
    ],
)
def test_precision_labels_map_to_ours(label, ours):
    assert precision_parse(label) == ours


def test_an_unknown_precision_is_refused():
    with pytest.raises(GradioFileError, match="precision 'torch.int3' is none of ours"):
        precision_parse("torch.int3")


def test_model_types_map_both_ways():
    assert model_type_parse("🟢 : pretrained") == ModelType.PRETRAINED
    assert model_type_parse("⭕ : instruction-tuned") == ModelType.CHAT
    assert model_type_parse("🔶 : fine-tuned on domain-specific datasets") == ModelType.FINE_TUNED
    assert model_type_parse("continuously pretrained") == ModelType.CONTINUOUS
    assert model_type_parse("") == ModelType.PRETRAINED
    for model_type in ModelType.values:
        assert model_type_parse(model_type_label(model_type)) == model_type


def test_results_in_bfloat16_join_the_bfloat16_request(medical, data):
    write_results(data, "org/m", dtype="torch.bfloat16")
    write_request(
        data,
        "org/m",
        precision="bfloat16",
        weight_type="Delta",
        base_model="org/base",
        model_type="🔶 : fine-tuned",
        license="mit",
        likes=5,
        params=1.5,
    )
    write_request(data, "org/m", precision="float16", status="PENDING")
    run_import(data)
    finished = ModelSubmission.objects.get(model_id="org/m", precision="bfloat16")
    assert (finished.status, finished.weight_type, finished.base_model, finished.model_type) == (
        Status.FINISHED,
        "Delta",
        "org/base",
        ModelType.FINE_TUNED,
    )
    assert finished.created_at == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert (finished.facts["license"], finished.facts["likes"], finished.facts["num_params"]) == (
        "mit",
        5,
        1_500_000_000,
    )
    entry = finished.leaderboard_entry
    assert (entry.precision, entry.license, entry.likes, entry.params_billions) == ("bfloat16", "mit", 5, 1.5)
    assert ModelSubmission.objects.get(model_id="org/m", precision="float16").status == Status.PENDING_REVIEW


# --- history and idempotence --------------------------------------------------------------------------


def test_the_newest_results_file_wins_and_the_older_ones_stay_as_earlier_runs(medical, data):
    write_results(data, "org/m", date="2024-01-05T00-00-00.000000", score=0.4)
    write_results(data, "org/m", date="2024-03-05T00-00-00.000000", score=0.6)
    write_results(data, "org/m", date="2024-02-05T00-00-00.000000", score=0.2)
    write_request(data, "org/m")
    run_import(data)
    submission = ModelSubmission.objects.get()
    runs = list(submission.runs.order_by("finished_at"))
    assert [r.status for r in runs] == [RunStatus.FINISHED] * 3
    assert [r.finished_at.month for r in runs] == [1, 2, 3]
    entry = submission.leaderboard_entry
    assert entry.run == runs[-1]
    assert entry.scores["medmcqa"] == pytest.approx(0.6)
    assert ResultsFile.objects.get(run=runs[0]).date_id == "2024-01-05T00-00-00.000000"
    assert TaskResult.objects.filter(run__in=runs).count() == 27
    assert_histories_follow_the_machines()


def test_a_second_import_adds_nothing_and_a_later_one_only_the_new_files(medical, data):
    write_results(data, "org/a", date="2024-01-05T00-00-00.000000")
    write_request(data, "org/a")
    write_request(data, "org/b", status="PENDING")
    write_request(data, "org/c", status="FAILED")
    run_import(data)
    first = counts()
    version = RankingVersion.objects.get(suite=medical).version

    out, err = run_import(data)
    assert counts() == first
    assert "0 finished runs" in out and "3 unchanged" in out and err == ""
    assert RankingVersion.objects.get(suite=medical).version == version  # nothing re-ranked

    write_results(data, "org/a", date="2024-06-05T00-00-00.000000", score=0.7)  # a re-run there
    write_results(data, "org/b", date="2024-06-06T00-00-00.000000", score=0.3)  # the pending one finished
    write_request(data, "org/b", status="FINISHED")
    write_results(data, "org/d", date="2024-06-07T00-00-00.000000")  # a new model
    write_request(data, "org/d")
    out, err = run_import(data)
    assert err == ""
    assert ModelSubmission.objects.count() == first["ModelSubmission"] + 1
    assert EvalRun.objects.count() == first["EvalRun"] + 3
    assert RankingVersion.objects.get(suite=medical).version == version + 1  # the ranking refreshed once
    a = LeaderboardEntry.objects.get(model_id="org/a")
    assert a.scores["medmcqa"] == pytest.approx(0.7) and a.submission.runs.count() == 2
    assert ModelSubmission.objects.get(model_id="org/b").status == Status.FINISHED
    assert LeaderboardEntry.objects.filter(model_id__in=["org/b", "org/d"]).count() == 2
    assert_histories_follow_the_machines()
    after = counts()
    run_import(data)
    assert counts() == after


def test_pending_running_and_failed_requests_land_in_the_matching_states(medical, data, client):
    write_request(data, "org/pending", status="PENDING")
    write_request(data, "org/running", status="RUNNING")
    write_request(data, "org/failed", status="FAILED")
    run_import(data)
    by_model = {s.model_id: s for s in ModelSubmission.objects.all()}
    assert by_model["org/pending"].status == Status.PENDING_REVIEW
    assert not by_model["org/pending"].runs.exists()
    assert by_model["org/running"].status == Status.QUEUED
    assert [r.status for r in by_model["org/running"].runs.all()] == [RunStatus.QUEUED]
    failed = by_model["org/failed"]
    assert failed.status == Status.FAILED and "Gradio leaderboard" in failed.failure_reason
    assert [r.status for r in failed.runs.all()] == [RunStatus.FAILED]
    assert not LeaderboardEntry.objects.exists()
    assert_histories_follow_the_machines()
    queue = client.get("/queue/").content.decode()
    assert "org/pending" in queue and "org/running" in queue and "org/failed" in queue
    submission_requeue(failed, actor=ModeratorFactory())  # moderators act on them as on any other
    failed.refresh_from_db()
    assert failed.status == Status.QUEUED


def test_dry_run_says_what_it_would_do_and_stores_nothing(medical, data):
    write_results(data, "org/a")
    write_request(data, "org/a")
    write_request(data, "org/b", status="PENDING")
    before = counts()
    out, err = run_import(data, "--dry-run")
    assert "would import into medical" in out and "1 finished" in out and "1 pending review" in out
    assert counts() == before
    assert not get_user_model().objects.filter(username="imported").exists()


# --- what is refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stderr", [-0.01, 1e200])
def test_a_stderr_no_score_can_have_is_refused_naming_the_file(medical, data, stderr):
    """Issue 22, finding 7: a negative stderr was stored as is; 1e200 aborted the whole import."""
    write_results(data, "org/good")
    write_request(data, "org/good")
    bad = write_results(data, "org/bad", stderr=stderr)
    write_request(data, "org/bad")
    out, err = run_import(data)
    assert f"{bad}: the stderr of acc,none is {stderr!r}: a standard error is a number from 0 to 1" in err
    assert list(LeaderboardEntry.objects.values_list("model_id", flat=True)) == ["org/good"]


def test_a_corrupt_or_oversized_file_is_reported_with_its_path_and_the_rest_imported(medical, data):
    write_results(data, "org/good")
    write_request(data, "org/good")
    corrupt = write_results(data, "org/corrupt")
    corrupt.write_text(corrupt.read_text()[:100])
    huge = write_request(data, "org/huge")
    huge.write_text(json.dumps({"model": "org/huge", "padding": "x" * (5 * 2**20)}))
    listy = write_request(data, "org/listy")
    listy.write_text("[1, 2]")
    out, err = run_import(data)
    assert f"{corrupt}: not valid JSON" in err
    assert f"{huge}: 5.0 MiB, more than a results or request file can be" in err
    assert f"{listy}: not a JSON object" in err
    assert "3 files skipped" in out
    assert list(LeaderboardEntry.objects.values_list("model_id", flat=True)) == ["org/good"]


def test_an_invalid_model_id_is_reported(medical, data):
    bad_request = write_request(data, "org/--bad--")
    bad_results = write_results(data, "org/ok")
    bad_results.write_text(bad_results.read_text().replace('"model_name": "org/ok"', '"model_name": "no-org"'))
    out, err = run_import(data)
    assert f"{bad_request}: model id 'org/--bad--' is invalid: Enter a Hugging Face model id" in err
    assert f"{bad_results}: model id 'no-org' is invalid" in err
    assert not ModelSubmission.objects.exists()


def test_a_result_missing_some_of_the_suites_tasks_is_refused_naming_them(medical, data):
    path = write_results(data, "org/partial", tasks=GRADIO_TASKS[1:-1])
    request = write_request(data, "org/partial")
    out, err = run_import(data)
    assert f"{path}: refused: it has no score for medical's tasks medmcqa; pubmedqa_pqal (or pubmedqa)" in err
    assert f"{request}: finished there, but no usable results file of org/partial in float16" in err
    assert not ModelSubmission.objects.exists()


def test_a_model_already_submitted_here_is_not_imported_twice(medical, data):
    ModelSubmission.objects.create(
        model_id="org/a", commit_sha=SHA, precision="float16", suite=medical, status=Status.QUEUED
    )
    write_results(data, "org/a")
    write_request(data, "org/a")
    out, err = run_import(data)
    assert "org/a at 0123456 in float16 is already submitted here (queued)" in err
    assert ModelSubmission.objects.count() == 1


def test_a_missing_folder_or_suite_is_an_error(medical, data):
    with pytest.raises(CommandError, match="is not a folder"):
        call_command(
            "import_leaderboard",
            "--results",
            str(data / "nope"),
            "--requests",
            str(data / "requests"),
            "--suite",
            "medical",
        )
    with pytest.raises(CommandError, match="no suite 'nope'"):
        call_command("export_leaderboard", "nope", str(data))


# --- the pages ----------------------------------------------------------------------------------------


def test_pages_of_an_imported_model_say_it_has_no_samples_and_link_to_none(medical, data, client):
    write_results(data, "org/m")
    write_request(data, "org/m")
    run_import(data)
    submission = ModelSubmission.objects.get()
    run = submission.runs.get()
    page = client.get("/models/org/m/").content.decode()
    assert "Imported from a Gradio leaderboard: no samples were logged" in page
    assert f"/runs/{run.pk}/samples" not in page
    assert f"/runs/{run.pk}/download" in page  # its results file, as it was imported
    page = client.get(f"/submissions/{submission.pk}/").content.decode()
    assert "from a Gradio leaderboard" in page and "no samples" in page
    assert f"/runs/{run.pk}/samples" not in page
