"""Reading what the harness writes (ours or the ``lm_eval`` CLI's) and storing it.

One format in, whoever ran the harness: ``results_<date>.json`` and one
``samples_<task>_<date>.jsonl`` per task, as lm-eval's EvaluationTracker writes them.
"""

import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from catalogue.models import SuiteTask
from core.bulk import rows_copy
from core.errors import DomainError
from evaluation.models import EvalRun, ResultsFile, SampleLog, SubjectResult, TaskResult

SAMPLES_FILE = re.compile(r"^samples_(?P<task>.+)_(?P<date>\d{4}-\d{2}-\d{2}T[\d.\-]+)\.jsonl$")
RESULTS_DATE = re.compile(r"_(\d{4}-\d{2}-\d{2}T[\d.\-]+)\.json$")  # results_<date>.json, or <stem>_<date>.json
SAMPLE_COLUMNS = (
    "run_id",
    "task",
    "filter",
    "doc_id",
    "doc",
    "arguments",
    "target",
    "resps",
    "filtered_resps",
    "metrics",
    "doc_hash",
    "prompt_hash",
    "truncated",
    "thinking",
    "prompt_tokens",
    "thinking_tokens",
    "answer_tokens",
)
GENERATION_CAP = 32 * 1024  # bytes of UTF-8 kept of each generation, and of each thinking
NO_ANSWER = "[invalid]"  # what lm-eval's regex filters give when they find no answer
NO_ANSWER_METRIC = "no_answer_rate"


class HarnessOutputError(DomainError):
    """The files are not what lm-eval writes."""


def stderr_checked(value, where: str) -> float | None:
    """A standard error from a results file: None where there is none (missing, lm-eval's "N/A"), else a finite
    number from 0 to 1 (a score's stderr is at most 0.5) or HarnessOutputError saying what it is."""
    if value is None or isinstance(value, str):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not (math.isfinite(value) and 0 <= value <= 1):
        raise HarnessOutputError(f"the stderr of {where} is {value!r}: a standard error is a number from 0 to 1")
    return float(value)


def results_stderrs_check(results: dict) -> None:
    """Refuse a results file given to an import whose stderrs no score can have (NaN, negative, huge)."""
    for task, values in (results.get("results") or {}).items():
        for key, value in (values if isinstance(values, dict) else {}).items():
            if "_stderr" in key:
                stderr_checked(value, f"{task} ({key})")


@dataclass
class HarnessOutput:
    results: dict
    sample_files: dict[str, Path]
    date_id: str  # the <date> of results_<date>.json


def harness_output_read(results_path: Path, sample_paths: list[Path]) -> HarnessOutput:
    try:
        results = json.loads(Path(results_path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise HarnessOutputError(f"cannot read {results_path}: {exc}") from exc
    if not isinstance(results, dict) or not isinstance(results.get("results"), dict):
        raise HarnessOutputError(f"{results_path} has no 'results' object: not an lm-eval results file")
    sample_files: dict[str, Path] = {}
    for path in sample_paths:
        match = SAMPLES_FILE.match(Path(path).name)
        if not match:
            raise HarnessOutputError(f"{path} is not named samples_<task>_<date>.jsonl")
        if match["task"] in sample_files:
            raise HarnessOutputError(f"two samples files for {match['task']}: {sample_files[match['task']]} and {path}")
        sample_files[match["task"]] = Path(path)
    date = RESULTS_DATE.search(Path(results_path).name)
    return HarnessOutput(
        results=results, sample_files=sample_files, date_id=date[1] if date else Path(results_path).stem
    )


def harness_output_find(output_dir: Path) -> HarnessOutput:
    """The newest results file under ``output_dir`` and the samples written beside it."""
    found = sorted(Path(output_dir).rglob("results_*.json"))
    if not found:
        raise HarnessOutputError(f"the harness wrote no results file under {output_dir}")
    results_path = found[-1]
    date = results_path.stem.removeprefix("results_")
    samples = [p for p in results_path.parent.glob(f"samples_*_{date}.jsonl")]
    return harness_output_read(results_path, samples)


def _metric_rows(run: EvalRun, output: HarnessOutput) -> list[TaskResult]:
    n_shot = output.results.get("n-shot", {})
    n_samples = output.results.get("n-samples", {})
    rows = []
    for task, values in output.results["results"].items():
        for key, value in values.items():
            if "," not in key or "_stderr," in key or not isinstance(value, (int, float)):
                continue
            metric, metric_filter = key.split(",", 1)
            stderr = values.get(f"{metric}_stderr,{metric_filter}")
            rows.append(
                TaskResult(
                    run=run,
                    task=task,
                    metric=metric,
                    metric_filter=metric_filter,
                    value=value,
                    stderr=stderr if isinstance(stderr, (int, float)) else None,
                    num_fewshot=n_shot.get(task) or 0,
                    n_samples=(n_samples.get(task) or {}).get("effective"),
                )
            )
    return rows


def _json(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    if "\\u0000" in text:  # Postgres jsonb cannot hold NUL
        text = json.dumps(_without_nul(value), ensure_ascii=False)
    return text


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    return value


def capped(text: str) -> tuple[str, bool]:
    """``text`` cut to GENERATION_CAP bytes of UTF-8 (at a character boundary), and whether it was cut."""
    data = text.encode("utf-8")
    if len(data) <= GENERATION_CAP:
        return text, False
    return data[:GENERATION_CAP].decode("utf-8", errors="ignore"), True


def sample_values(sample: dict) -> tuple:
    """(resps, truncated, thinking, prompt, thinking and answer tokens): a generation's text capped; the token
    counts the harness child recorded (None for imported CLI runs, whose samples do not have them)."""
    resps, record = sample["resps"], sample.get("generation")
    truncated = False
    if resps and isinstance(resps[0], list) and resps[0] and isinstance(resps[0][0], str):
        text, truncated = capped(resps[0][0])
        resps = [[text, *resps[0][1:]], *resps[1:]]
    if not isinstance(record, dict):
        return resps, truncated, "", None, None, None
    thinking, thinking_cut = capped(str(record.get("thinking") or ""))
    counts = [record.get(key) for key in ("prompt_tokens", "thinking_tokens", "answer_tokens")]
    counts = [value if isinstance(value, int) and value >= 0 else None for value in counts]
    return resps, truncated or thinking_cut, thinking.replace("\x00", ""), *counts


def sample_row(run_id: int, task: str, sample: dict) -> tuple:
    resps, truncated, thinking, prompt_tokens, thinking_tokens, answer_tokens = sample_values(sample)
    return (
        run_id,
        task,
        sample.get("filter", "none"),
        sample["doc_id"],
        _json(sample["doc"]),
        _json(sample["arguments"]),
        str(sample["target"]).replace("\x00", ""),
        _json(resps),
        _json(sample["filtered_resps"]),
        _json({name: sample.get(name) for name in sample.get("metrics", [])}),
        sample.get("doc_hash", ""),
        sample.get("prompt_hash", ""),
        truncated,
        thinking,
        prompt_tokens,
        thinking_tokens,
        answer_tokens,
    )


def _breakdowns(run: EvalRun) -> dict[str, SuiteTask]:
    """The run's suite tasks that break their scores down by a field of their documents, by task name."""
    return {t.task: t for t in SuiteTask.objects.filter(suite_id=run.submission.suite_id).exclude(breakdown="")}


def samples_copy(run: EvalRun, output: HarnessOutput) -> int:
    """COPY every sample of the run into SampleLog, counting each subject of the tasks that have a breakdown
    (SubjectResult rows); returns the sample count."""
    breakdowns = _breakdowns(run)
    questions: Counter[tuple[str, str]] = Counter()
    correct: Counter[tuple[str, str]] = Counter()
    extracted: Counter[tuple[str, str]] = Counter()  # per (task, filter) of generative samples
    no_answer: Counter[tuple[str, str]] = Counter()

    def rows():
        for task, path in output.sample_files.items():
            with open(path, encoding="utf-8") as lines:
                for number, line in enumerate(lines, 1):
                    if not line.strip():
                        continue
                    try:
                        sample = json.loads(line)
                        row = sample_row(run.pk, task, sample)
                    except (ValueError, KeyError, TypeError) as exc:
                        raise HarnessOutputError(f"{path}, line {number}: not an lm-eval sample ({exc!r})") from exc
                    yield row
                    if _generated(sample):
                        extracted[task, row[2]] += 1
                        no_answer[task, row[2]] += sample["filtered_resps"] in (NO_ANSWER, [NO_ANSWER])
                    suite_task = breakdowns.get(task)
                    if suite_task and row[2] == suite_task.metric_filter and isinstance(sample["doc"], dict):
                        subject = str(sample["doc"].get(suite_task.breakdown) or "")[:200]
                        value = sample.get(suite_task.metric)
                        if subject and isinstance(value, (int, float)):
                            questions[task, subject] += 1
                            correct[task, subject] += value

    count = rows_copy(table=SampleLog._meta.db_table, columns=SAMPLE_COLUMNS, rows=rows())
    SubjectResult.objects.bulk_create(
        SubjectResult(run=run, task=task, subject=subject, n=n, correct=correct[task, subject])
        for (task, subject), n in questions.items()
    )
    TaskResult.objects.bulk_create(
        TaskResult(
            run=run,
            task=task,
            metric=NO_ANSWER_METRIC,
            metric_filter=metric_filter,
            value=no_answer[task, metric_filter] / n,
            n_samples=n,
        )
        for (task, metric_filter), n in extracted.items()
    )
    return count


def _generated(sample: dict) -> bool:
    """A generative task's sample: its request carries generation arguments (lm-eval's gen_args_0)."""
    arguments = sample.get("arguments")
    return isinstance(arguments, dict) and isinstance(arguments.get("gen_args_0", {}).get("arg_1"), dict)


def results_ingest(run: EvalRun, output: HarnessOutput) -> None:
    """Store a run's metrics, samples and results file. Call inside the transaction that finishes the run."""
    TaskResult.objects.bulk_create(_metric_rows(run, output))
    samples_copy(run, output)
    ResultsFile.objects.create(run=run, date_id=output.date_id, data=_without_nul(output.results))
