"""The stored scores are exactly what the lm_eval CLI prints for the same model and tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from devtools.tiny_model import build_tiny_adapter, build_tiny_model
from evaluation.models import RunStatus, SampleLog, TaskResult
from pipeline.intake import submission_approve, submission_submit
from pipeline.jobs import delivery_handle


@pytest.fixture
def weights(request, tiny_model, hub_cache) -> dict:
    """What is submitted: the tiny model itself, a LoRA adapter of it, or delta weights for it."""
    base = tiny_model[0]
    if request.param == "Original":
        return {"model_id": base, "weight_type": "Original", "base_model": ""}
    if request.param == "Adapter":
        build_tiny_adapter("test-org/tiny-lora", base_id=base, hub_cache=hub_cache)
        return {"model_id": "test-org/tiny-lora", "weight_type": "Adapter", "base_model": base}
    build_tiny_model("test-org/tiny-delta", hub_cache=hub_cache)
    return {"model_id": "test-org/tiny-delta", "weight_type": "Delta", "base_model": base}


@pytest.mark.parametrize("weights", ["Original", "Adapter", "Delta"], indirect=True)
def test_stored_scores_equal_the_lm_eval_cli(weights, tiny_model, suites, tmp_path):
    suite = suites["demo-medical"]
    submission = submission_submit(
        user=None, revision="main", precision="float32", suite=suite, check_now=True, **weights
    )
    submission_approve(submission, actor=None)
    run = submission.runs.get()

    assert delivery_handle(run.pk) == "finished"

    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    stored = {(r.task, r.metric): r.value for r in TaskResult.objects.filter(run=run)}
    suite_tasks = list(suite.tasks.all())
    assert {t.task for t in suite_tasks} <= {task for task, _ in stored}

    # The CLI, in a subprocess, through the very command line the run's record gives.
    [command] = run.record["commands"]
    assert f"pretrained={tiny_model[0]},revision={tiny_model[1]}" in command
    if weights["weight_type"] != "Original":
        option = "peft" if weights["weight_type"] == "Adapter" else "delta"
        assert f"{option}=$(hf download {submission.model_id} --revision {submission.commit_sha} --quiet)" in command
    command = command.replace("--output_path results", f"--output_path {tmp_path}")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["bash", "-c", command], cwd=settings.BASE_DIR, env=env, check=True, capture_output=True)
    [results_file] = tmp_path.rglob("results_*.json")
    cli = json.loads(results_file.read_text())["results"]

    for suite_task in suite_tasks:
        assert stored[(suite_task.task, "acc")] == cli[suite_task.task]["acc,none"], suite_task.task
        samples = {s.doc_id: s for s in SampleLog.objects.filter(run=run, task=suite_task.task)}
        cli_file = next(tmp_path.rglob(f"samples_{suite_task.task}_*.jsonl"))
        cli_samples = [json.loads(line) for line in cli_file.read_text().splitlines()]
        assert len(samples) == len(cli_samples) > 0
        for cli_sample in cli_samples:
            sample = samples[cli_sample["doc_id"]]
            assert sample.arguments == cli_sample["arguments"]  # the prompt exactly as the model saw it
            assert sample.prompt_hash == cli_sample["prompt_hash"]
            assert sample.resps == cli_sample["resps"]  # the same log-likelihoods, to the last digit
            assert sample.metrics["acc"] == cli_sample["acc"]


def test_adapter_and_delta_weights_change_the_answers(tiny_model, hub_cache, suites):
    """Guards the test above: were the adapter or the delta ignored, its scores would be the base model's."""
    base = tiny_model[0]
    build_tiny_adapter("test-org/tiny-lora", base_id=base, hub_cache=hub_cache)
    build_tiny_model("test-org/tiny-delta", hub_cache=hub_cache)
    resps = {}
    for model_id, weight_type in (
        (base, "Original"),
        ("test-org/tiny-lora", "Adapter"),
        ("test-org/tiny-delta", "Delta"),
    ):
        submission = submission_submit(
            user=None,
            model_id=model_id,
            precision="float32",
            suite=suites["demo-medical"],
            weight_type=weight_type,
            base_model="" if weight_type == "Original" else base,
            review=False,
            check_now=True,
        )
        run = submission.runs.get()
        assert delivery_handle(run.pk) == "finished"
        resps[weight_type] = list(
            SampleLog.objects.filter(run=run).order_by("task", "doc_id").values_list("resps", flat=True)
        )
    assert resps["Adapter"] != resps["Original"] and resps["Delta"] != resps["Original"]
