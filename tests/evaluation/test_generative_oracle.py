"""Generative runs: the stored scores and generations are exactly what the lm_eval CLI gives for the same model,
tasks and flags (chat template, system instruction, a reasoning model's thinking cut at its marker)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from evaluation.ingest import NO_ANSWER_METRIC
from evaluation.models import RunStatus, SampleLog, TaskResult
from pipeline.intake import submission_approve, submission_submit
from pipeline.jobs import delivery_handle

THINK_END = "</think>"


def test_generative_scores_and_generations_equal_the_lm_eval_cli(tiny_chat_model, suites, tmp_path):
    suite = suites["demo-medical-generative"]
    model_id, sha = tiny_chat_model
    submission = submission_submit(
        user=None,
        model_id=model_id,
        precision="float32",
        suite=suite,
        use_chat_template=True,
        think_end_token=THINK_END,
        check_now=True,
    )
    submission_approve(submission, actor=None)
    run = submission.runs.get()
    delivery_handle(run.pk)
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED, f"{run.failure_reason}\n{run.log_tail}"

    # The record says every flag: the CLI below runs its command verbatim.
    [command] = run.record["commands"]
    for flag in (
        f"pretrained={model_id},revision={sha},dtype=float32,think_end_token={THINK_END},enable_thinking=True",
        "--apply_chat_template --fewshot_as_multiturn true",
        f"--system_instruction '{suite.system_instruction}'",
        f"--batch_size {run.record['batch_size']}",
    ):
        assert flag in command, flag
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    command = command.replace("--output_path results", f"--output_path {tmp_path}")
    subprocess.run(["bash", "-c", command], cwd=settings.BASE_DIR, env=env, check=True, capture_output=True)
    [results_file] = tmp_path.rglob("results_*.json")
    cli = json.loads(results_file.read_text())["results"]

    stored = {(r.task, r.metric, r.metric_filter): r.value for r in TaskResult.objects.filter(run=run)}
    scores = []
    for suite_task in suite.tasks.all():
        for metric_filter in (suite_task.metric_filter, *suite_task.other_filters):
            value = stored[suite_task.task, "exact_match", metric_filter]
            assert abs(value - cli[suite_task.task][f"exact_match,{metric_filter}"]) <= 1e-9, suite_task.task
            scores.append(value)
            assert 0 <= stored[suite_task.task, NO_ANSWER_METRIC, metric_filter] <= 1
        cli_file = next(tmp_path.rglob(f"samples_{suite_task.task}_*.jsonl"))
        cli_samples = [json.loads(line) for line in cli_file.read_text().splitlines()]
        samples = {(s.filter, s.doc_id): s for s in SampleLog.objects.filter(run=run, task=suite_task.task)}
        assert len(samples) == len(cli_samples) > 0
        for cli_sample in cli_samples:
            sample = samples[cli_sample["filter"], cli_sample["doc_id"]]
            assert sample.arguments == cli_sample["arguments"]  # the chat-formatted prompt, character for character
            assert sample.resps == cli_sample["resps"]  # the whole generation, character for character
            assert sample.filtered_resps == cli_sample["filtered_resps"]  # the answer extracted
            assert sample.metrics["exact_match"] == cli_sample["exact_match"]
            assert not sample.truncated
            # The thinking is kept apart: recorded with its tokens, never in the text the filters read.
            assert sample.thinking.startswith("<think>") and sample.thinking.endswith(THINK_END)
            assert THINK_END not in sample.resps[0][0] and sample.thinking_tokens > 0 and sample.answer_tokens > 0
            assert sample.prompt_tokens > 0
    assert any(scores) and run.record["generated_tokens"] > run.record["thinking_tokens"] > 0
    assert run.record["tokens_per_s"] > 0 and run.record["prompt_tokens"] > 0
    assert run.record["co2_g"] == 0 and run.record["gpu_seconds"] == 0  # on a CPU
