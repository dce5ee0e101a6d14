"""A suite's ranking written as a Gradio leaderboard's two datasets (the format pipeline.gradio reads)."""

import json
from datetime import UTC, datetime
from pathlib import Path

from catalogue.models import Suite
from catalogue.precision import FACTS
from evaluation.models import TaskResult
from rankings.models import LeaderboardEntry
from submissions.models import ModelType


def precision_label(precision: str) -> str:
    """A results file's model_dtype: torch's name for unquantised weights, ours for the others."""
    return precision if FACTS[precision].quantized else f"torch.{precision}"


def model_type_label(model_type: str) -> str:
    """The template's form of our model type: "🟢 : pretrained"."""
    icon, name = ModelType(model_type).label.split(" ", 1)
    return f"{icon} : {name}"


def _time_text(moment: datetime) -> str:
    """The template's submitted_time (UTC, to the second), with microseconds when there are some."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S" + (".%f" if moment.microsecond else "") + "Z")


def leaderboard_export(suite: Suite, folder: Path) -> int:
    """Write ``folder``/results and ``folder``/requests as the template keeps them, one results file (its
    ranked run) and one request per model ranked on ``suite`` (flagged ones too); returns how many.
    A task is named by its first alias when it has one: the name a Gradio leaderboard knows it by."""
    names = {t.task: (t.aliases or [t.task])[0] for t in suite.tasks.all()}
    entries = list(LeaderboardEntry.objects.filter(suite=suite, is_reference=False).select_related("submission", "run"))
    results: dict[int | None, dict[str, dict]] = {entry.run_id: {} for entry in entries}
    for row in TaskResult.objects.filter(run_id__in=list(results), task__in=list(names)):
        values = results[row.run_id].setdefault(names[row.task], {})
        values[f"{row.metric},{row.metric_filter}"] = row.value
        if row.stderr is not None:
            values[f"{row.metric}_stderr,{row.metric_filter}"] = row.stderr
    for entry in entries:
        submission, run = entry.submission, entry.run
        assert submission is not None and run is not None  # a ranked entry has both (a constraint says so)
        org, name = submission.model_id.split("/", 1)
        finished = (run.finished_at or run.created_at).astimezone(UTC)
        results_file = folder / "results" / org / name / f"results_{finished:%Y-%m-%dT%H-%M-%S.%f}.json"
        results_file.parent.mkdir(parents=True, exist_ok=True)
        results_file.write_text(
            json.dumps(
                {
                    "config": {
                        "model_dtype": precision_label(submission.precision),
                        "model_name": submission.model_id,
                        "model_sha": submission.commit_sha,
                    },
                    "results": results[run.pk],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        private = bool((submission.facts or {}).get("private"))
        request_file = (
            folder
            / "requests"
            / org
            / f"{name}_eval_request_{private}_{submission.precision}_{submission.weight_type}.json"
        )
        request_file.parent.mkdir(parents=True, exist_ok=True)
        request_file.write_text(
            json.dumps(
                {
                    "model": submission.model_id,
                    "base_model": submission.base_model,
                    "revision": submission.revision,
                    "private": private,
                    "precision": submission.precision,
                    "weight_type": submission.weight_type,
                    "status": "FINISHED",
                    "submitted_time": _time_text(submission.created_at),
                    "model_type": model_type_label(submission.model_type),
                    "likes": entry.likes,
                    "params": entry.params_billions or 0,
                    "license": entry.license,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    return len(entries)
