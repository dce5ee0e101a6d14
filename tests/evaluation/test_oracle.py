"""The stored scores are exactly what the lm_eval CLI prints for the same model and tasks."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from evaluation.jobs import execute_run
from evaluation.models import RunStatus, SampleLog, TaskResult
from submissions.services import submission_approve, submission_create


def test_stored_scores_equal_the_lm_eval_cli(tiny_model, suites, tmp_path):
    model_id, sha = tiny_model
    suite = suites["demo-medical"]
    submission = submission_create(user=None, model_id=model_id, revision="main", precision="float32", suite=suite)
    submission_approve(submission, actor=None)
    run = submission.runs.get()

    assert execute_run(run.pk) == "finished"

    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    stored = {(r.task, r.metric): r.value for r in TaskResult.objects.filter(run=run)}
    suite_tasks = list(suite.tasks.all())
    assert {t.task for t in suite_tasks} <= {task for task, _ in stored}

    # The CLI, in a subprocess, through the very command line the run's record gives.
    [command] = run.record["commands"]
    assert f"revision={sha}" in command
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
            assert sample.metrics["acc"] == cli_sample["acc"]
