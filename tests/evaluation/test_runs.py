"""Runs executed in this process (the harness is a real child process): the record, progress,
redelivery, downloads, and each kind of failure."""

import io
import json
import zipfile

from django.contrib.auth.models import User
from django.utils.html import escape

from catalogue.models import Suite, SuiteTask
from devtools.tiny_model import build_tiny_model
from evaluation.harness import LOADING_MODEL, RUNNING, _failure_kind
from evaluation.models import FailureKind, ResultsFile, RunStatus, SampleLog, TaskResult
from pipeline.delivery import run_queue
from pipeline.intake import submission_submit
from pipeline.jobs import delivery_handle
from submissions.models import Status
from tests.evaluation.helpers import harness_processes, queued_submission

LM_EVAL_SAMPLE_KEYS = {
    "doc_id",
    "doc",
    "target",
    "arguments",
    "resps",
    "filtered_resps",
    "filter",
    "metrics",
    "doc_hash",
    "prompt_hash",
    "target_hash",
}


def test_a_finished_run_records_what_reproduces_it_and_downloads_in_the_cli_format(tiny_model, suites, client):
    model_id, sha = tiny_model
    suite = suites["demo-medical"]
    submission = submission_submit(
        user=None, model_id=model_id, revision="main", precision="float32", suite=suite, review=False, check_now=True
    )
    run = submission.runs.get()
    assert delivery_handle(run.pk) == "finished"
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED and run.attempt == 1 and run.cluster == "default"

    record = run.record
    assert record["commit_sha"] == sha and record["model"] == model_id and record["backend"] == "hf"
    assert record["model_args"] == f"pretrained={model_id},revision={sha},dtype=float32"  # dtype follows the precision
    assert record["lm_eval_version"] and record["transformers_version"] and record["torch_version"]
    assert set(record["tasks"]) == {t.task for t in suite.tasks.all()}
    for task in record["tasks"].values():
        assert task["version"] is not None and len(task["config_hash"]) == 64 and task["num_fewshot"] == 0
    assert isinstance(record["batch_size"], int) and record["batch_size_requested"] == "auto"  # auto, resolved
    assert record["seeds"] == {"random_seed": 0, "numpy_seed": 1234, "torch_seed": 1234, "fewshot_seed": 1234}
    assert record["device"] == "cpu" and record["gpu_seconds"] == 0 and record["duration_s"] > 0
    assert record["worker"] == run.worker and record["commands"][0].startswith(
        "cd evaluation/task_packs/demo_medical && lm_eval --model hf"
    )

    # Progress: the requests counted as they were handed to the model, all of them answered.
    samples = list(SampleLog.objects.filter(run=run))
    requests = sum(len(s.arguments) for s in samples)
    assert run.progress_total == requests == run.progress_done > 0 and run.progress_stage == "finished"
    assert client.get(f"/runs/{run.pk}/progress.json").json()["percent"] == 100.0

    # A second delivery of the same attempt changes nothing.
    results, events = TaskResult.objects.filter(run=run).count(), submission.events.count()
    assert delivery_handle(run.pk) == f"delivery for run {run.pk}: nothing queued on cluster default"
    assert TaskResult.objects.filter(run=run).count() == results and SampleLog.objects.filter(run=run).count() == len(
        samples
    )
    assert submission.events.count() == events

    # The download: what the lm_eval CLI writes, in a zip.
    response = client.get(f"/runs/{run.pk}/download.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    date = ResultsFile.objects.get(run=run).date_id
    folder = model_id.replace("/", "__")
    assert sorted(archive.namelist()) == sorted(
        [f"{folder}/results_{date}.json"] + [f"{folder}/samples_{t.task}_{date}.jsonl" for t in suite.tasks.all()]
    )
    results_file = json.loads(archive.read(f"{folder}/results_{date}.json"))
    assert (
        results_file["results"]["demo_pubmedqa"]["acc,none"]
        == TaskResult.objects.get(run=run, task="demo_pubmedqa", metric="acc", metric_filter="none").value
    )
    lines = [json.loads(line) for line in archive.read(f"{folder}/samples_demo_pubmedqa_{date}.jsonl").splitlines()]
    assert len(lines) == SampleLog.objects.filter(run=run, task="demo_pubmedqa").count()
    assert set(lines[0]) >= LM_EVAL_SAMPLE_KEYS and lines[0]["acc"] in (0.0, 1.0)

    queued = run_queue(queued_submission(model_id, sha, suites["medical"]))
    assert client.get(f"/runs/{queued.pk}/download.zip").status_code == 404

    # The admin shows the record.
    client.force_login(User.objects.create_superuser("admin", "admin@example.org", "pw"))
    page = client.get(f"/admin/evaluation/evalrun/{run.pk}/change/").content.decode()
    assert escape(record["commands"][0]) in page and f"lm-eval {record['lm_eval_version']}" in page


def test_a_model_that_does_not_load_fails_with_a_readable_reason(suites, hub_cache):
    model_id = "test-org/tiny-needs-remote-code"
    sha = build_tiny_model(model_id, hub_cache=hub_cache, remote_code=True)
    submission = queued_submission(model_id, sha, suites["demo-medical"])
    run = run_queue(submission)
    assert delivery_handle(run.pk) == "failed"
    run.refresh_from_db()
    submission.refresh_from_db()
    assert run.failure_kind == FailureKind.MODEL_LOAD
    assert run.failure_reason.startswith("the model did not load: ") and "trust_remote_code" in run.failure_reason
    assert "Traceback" in run.log_tail
    assert (submission.status, submission.failure_reason) == (Status.FAILED, run.failure_reason)
    assert not TaskResult.objects.filter(run=run).exists() and not SampleLog.objects.filter(run=run).exists()


def test_a_missing_dataset_fails_as_dataset_unavailable(tiny_model, db, tmp_path):
    (tmp_path / "broken_task.yaml").write_text(
        "task: broken_task\ndataset_path: json\ndataset_kwargs:\n  data_files:\n    test: missing.jsonl\n"
        "test_split: test\noutput_type: multiple_choice\ndoc_to_text: '{{question}}'\n"
        "doc_to_choice: ['yes', 'no']\ndoc_to_target: 0\nmetric_list:\n  - metric: acc\n"
    )
    suite = Suite.objects.create(slug="broken", name="Broken", task_paths=[str(tmp_path)])
    SuiteTask.objects.create(suite=suite, task="broken_task", name="Broken")
    model_id, sha = tiny_model
    run = run_queue(queued_submission(model_id, sha, suite))
    assert delivery_handle(run.pk) == "failed"
    run.refresh_from_db()
    assert run.failure_kind == FailureKind.DATASET and run.failure_reason.startswith("dataset unavailable: ")
    assert "missing.jsonl" in run.failure_reason


def test_a_run_past_its_suites_timeout_is_killed_and_failed(tiny_model, suites, settings, client):
    settings.EVAL_SUITE_TIMEOUTS = {"demo-medical": 2}
    settings.EVAL_HEARTBEAT_S = 1
    model_id, sha = tiny_model
    submission = queued_submission(model_id, sha, suites["demo-medical"])
    run = run_queue(submission)
    assert delivery_handle(run.pk) == "timed out"
    run.refresh_from_db()
    submission.refresh_from_db()
    assert (run.status, run.failure_kind, run.failure_reason) == (
        RunStatus.FAILED,
        FailureKind.TIMEOUT,
        "timeout: timed out after 2 s",
    )
    assert submission.status == Status.FAILED and harness_processes(run) == []
    progress = client.get(f"/runs/{run.pk}/progress.json").json()
    assert (
        progress["final"] and progress["text"].startswith("failed · ") and progress["text"].endswith(run.failure_reason)
    )


def test_the_harness_classifies_failures():
    import torch

    oom = torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")
    assert _failure_kind(oom, RUNNING) == "oom"
    assert _failure_kind(oom, LOADING_MODEL) == "oom"  # a model too big for the GPU: out of memory, not "did not load"
    assert _failure_kind(OSError("no file named model.safetensors"), LOADING_MODEL) == "model_load"
    try:
        raise RuntimeError("the harness broke") from KeyError("acc")
    except RuntimeError as exc:
        assert _failure_kind(exc, RUNNING) == "harness"
