"""The two datasets of a Gradio leaderboard (the Hugging Face demo-leaderboard template), read (written: gradio_export).

- results: ``<org>/<model>/results_<YYYY-MM-DDTHH-MM-SS.ffffff>.json``, one per finished evaluation:
  ``{"config": {"model_dtype", "model_name", "model_sha"}, "results": {task: {"<metric>,<filter>": value,
  "<metric>_stderr,<filter>": stderr}}}``; older files name metrics bare (``"acc"``, ``"acc_stderr"``).
- requests: ``<org>/<model>_eval_request_<private>_<precision>_<weight_type>.json``, one per submission:
  ``{"model", "base_model", "revision", "private", "precision", "weight_type", "status", "submitted_time",
  "model_type", "likes", "params", "license"}``.

Every file is untrusted: read with a size cap, and whatever is wrong with it is a GradioFileError saying
what. Scores are matched to a suite's tasks by task name or alias (SuiteTask.aliases).
"""

import functools
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeGuard

from catalogue.models import Suite, SuiteTask
from catalogue.precision import Precision, WeightType
from core.errors import DomainError
from evaluation.ingest import HarnessOutputError, stderr_checked
from submissions.errors import SubmissionError
from submissions.hub import COMMIT_SHA, ModelFacts, check_model_id, check_revision
from submissions.models import ModelType, Status

MAX_FILE_BYTES = 4 * 2**20  # a results or request file is a few KB; anything past this is not one
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
RESULTS_NAME = re.compile(r"^results_(?P<date>\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(?:\.\d{1,6})?)\.json$")
DATE_FORMATS = ("%Y-%m-%dT%H-%M-%S.%f", "%Y-%m-%dT%H-%M-%S")

# The template's labels, and those of the Open LLM Leaderboard that used it, as ours.
PRECISIONS = {
    "float16": Precision.FLOAT16,
    "fp16": Precision.FLOAT16,
    "half": Precision.FLOAT16,
    "bfloat16": Precision.BFLOAT16,
    "bf16": Precision.BFLOAT16,
    "float32": Precision.FLOAT32,
    "fp32": Precision.FLOAT32,
    "float": Precision.FLOAT32,
    "8bit": Precision.INT8,
    "int8": Precision.INT8,
    "4bit": Precision.INT4,
    "int4": Precision.INT4,
    "gptq": Precision.GPTQ,
}
STATUSES = {  # a request's status -> the state its submission takes here (RUNNING: nothing runs it here yet)
    "PENDING": Status.PENDING_REVIEW,
    "PENDING_NEW_EVAL": Status.PENDING_REVIEW,
    "RERUN": Status.PENDING_REVIEW,
    "RUNNING": Status.QUEUED,
    "FINISHED": Status.FINISHED,
    "FAILED": Status.FAILED,
}
MODEL_TYPE_ICONS = {
    "🟢": ModelType.PRETRAINED,
    "🟩": ModelType.CONTINUOUS,
    "🔶": ModelType.FINE_TUNED,
    "⭕": ModelType.CHAT,
    "💬": ModelType.CHAT,
    "🟦": ModelType.CHAT,
    "🤝": ModelType.MERGE,
    "🌸": ModelType.MULTIMODAL,
}
MODEL_TYPE_WORDS = (  # first match wins: "continuously pretrained" before "pretrained"
    ("continu", ModelType.CONTINUOUS),
    ("pretrained", ModelType.PRETRAINED),
    ("pre-trained", ModelType.PRETRAINED),
    ("fine-tuned", ModelType.FINE_TUNED),
    ("finetuned", ModelType.FINE_TUNED),
    ("instruction", ModelType.CHAT),
    ("chat", ModelType.CHAT),
    ("rl-tuned", ModelType.CHAT),
    ("merge", ModelType.MERGE),
    ("multimodal", ModelType.MULTIMODAL),
)


class GradioFileError(DomainError):
    """A file that is not what the template writes, or names something this platform refuses."""


@dataclass(frozen=True)
class GradioResult:
    path: Path
    name: str  # the path under the results folder: what marks it imported
    model_id: str
    precision: str
    model_sha: str  # empty when the file has none (or not a commit sha)
    date: datetime  # from its name: when the evaluation ended
    date_id: str
    scores: dict[str, tuple[float, float | None]]  # suite task -> (score, stderr)
    data: str  # the file as JSON text, for ResultsFile


@dataclass(frozen=True)
class GradioRequest:
    path: Path
    model_id: str
    revision: str
    precision: str
    weight_type: str
    base_model: str
    status: str  # ours
    finished: bool  # FINISHED there: the request its results belong to
    submitted_at: datetime | None
    model_type: str
    num_params: int | None
    license: str
    likes: int
    private: bool

    def facts(self, commit_sha: str) -> dict:
        """What the hub checks would have stored, from the request (the hub is not asked)."""
        base = self.base_model if self.weight_type != WeightType.ORIGINAL else ""
        facts = ModelFacts(
            model_id=self.model_id,
            commit_sha=commit_sha,
            num_params=self.num_params,
            license=self.license,
            likes=self.likes,
            private=self.private,
            base_model=base,
            base_commit_sha="main" if base else "",
        )
        return dict(vars(facts))  # as_dict() without its deep copy (of scalars), 10,000 times over


def json_files(root: Path) -> list[Path]:
    """The JSON files under ``root``, leaving out hidden folders (``hf download`` keeps .cache there)."""
    found: list[str] = []
    for folder, subfolders, files in os.walk(root):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found.extend(
            os.path.join(folder, name) for name in files if name.endswith(".json") and not name.startswith(".")
        )
    return [Path(path) for path in sorted(found)]


def json_read(path: Path) -> tuple[dict, str]:
    """A JSON object from an untrusted file, and its text (which Postgres can store as it is)."""
    try:
        with open(path, "rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise GradioFileError(
                f"{os.path.getsize(path) / 2**20:.1f} MiB, more than a results or request file can be (4 MiB)"
            )
        text = raw.decode("utf-8")
        constants: list[str] = []  # NaN and Infinity, which Python writes and Postgres refuses: read as null
        data = json.loads(text, parse_constant=constants.append)
    except OSError as exc:
        raise GradioFileError(f"cannot be read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise GradioFileError(f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise GradioFileError("not a JSON object")
    if constants:
        text = json.dumps(data, ensure_ascii=False)
    if "\\u0000" in text:
        raise GradioFileError("holds a NUL character, which Postgres cannot store")
    if SURROGATE_ESCAPE.search(text):  # escaped pairs are fine (json.dumps writes emoji so); a lone one is not
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise GradioFileError("holds an unpaired surrogate, which Postgres cannot store") from None
    return data, text


def precision_parse(label) -> str:
    """Our precision for one of the template's labels (``torch.float16`` -> float16)."""
    key = str(label).strip().lower().removeprefix("torch.").removeprefix("precision.")
    if key not in PRECISIONS:
        raise GradioFileError(f"precision {str(label)[:50]!r} is none of ours ({', '.join(Precision.values)})")
    return PRECISIONS[key]


def model_type_parse(label) -> str:
    """Our model type for the template's "🟢 : pretrained" (by icon, else by name); pretrained when unknown."""
    label = str(label or "").strip()
    if label[:1] in MODEL_TYPE_ICONS:
        return MODEL_TYPE_ICONS[label[:1]]
    lowered = label.lower()
    return next((ours for word, ours in MODEL_TYPE_WORDS if word in lowered), ModelType.PRETRAINED)


def _model_id(value) -> str:
    return _checked_model_id(str(value or ""))


@functools.lru_cache(maxsize=4096)  # a model's results and its request name it alike
def _checked_model_id(model_id: str) -> str:
    try:
        return check_model_id(model_id)
    except SubmissionError as exc:
        raise GradioFileError(f"model id {model_id[:200]!r} is invalid: {exc.message}") from None


def _number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _score(values: dict, metric: str, metric_filter: str) -> tuple[float, float | None] | None:
    """A task's (score, stderr) under "<metric>,<filter>", or the bare "<metric>" of older files."""
    for suffix in (f",{metric_filter}", "") if metric_filter == "none" else (f",{metric_filter}",):
        value = values.get(metric + suffix)
        if _number(value):
            where = f"{metric}{suffix}"
            try:
                return float(value), stderr_checked(values.get(f"{metric}_stderr{suffix}"), where)
            except HarnessOutputError as exc:
                raise GradioFileError(str(exc)) from None
    return None


def _task_name(suite_task: SuiteTask) -> str:
    return suite_task.task + (f" (or {', '.join(suite_task.aliases)})" if suite_task.aliases else "")


def results_read(path: Path, root: Path, suite: Suite, suite_tasks: list[SuiteTask]) -> GradioResult:
    """One results file, its scores matched to ``suite_tasks``; refused unless it scores every one."""
    found = RESULTS_NAME.match(path.name)
    if not found:
        raise GradioFileError("not named results_<YYYY-MM-DDTHH-MM-SS.ffffff>.json")
    date_id = found["date"]
    date = _date(date_id)
    data, text = json_read(path)
    config, results = data.get("config"), data.get("results")
    if not isinstance(config, dict) or not isinstance(results, dict):
        raise GradioFileError("no 'config' and 'results' objects: not a results file")
    scores, missing = {}, []
    for suite_task in suite_tasks:
        values = next(
            (results[name] for name in (suite_task.task, *suite_task.aliases) if isinstance(results.get(name), dict)),
            None,
        )
        score = _score(values, suite_task.metric, suite_task.metric_filter) if values is not None else None
        if score is None:
            missing.append(_task_name(suite_task))
        elif not 0 <= score[0] <= 1:
            raise GradioFileError(f"the {suite_task.metric} of {suite_task.task} is {score[0]}, not in [0, 1]")
        else:
            scores[suite_task.task] = score
    if missing:
        raise GradioFileError(f"refused: it has no score for {suite.slug}'s tasks {'; '.join(missing)}")
    sha = str(config.get("model_sha") or "")
    return GradioResult(
        path=path,
        name=path.relative_to(root).as_posix(),
        model_id=_model_id(config.get("model_name")),
        precision=precision_parse(config.get("model_dtype")),
        model_sha=sha if COMMIT_SHA.fullmatch(sha) else "",
        date=date,
        date_id=date_id,
        scores=scores,
        data=text,
    )


def _date(date_id: str) -> datetime:
    """The moment a results file's name gives (UTC, as the template's backend writes it)."""
    for date_format in DATE_FORMATS:
        try:
            return datetime.strptime(date_id, date_format).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise GradioFileError(f"{date_id!r} in its name is not a date")


def _text(request: dict, key: str, limit: int) -> str:
    value = request.get(key)
    return str(value).strip()[:limit] if value is not None else ""


def request_read(path: Path) -> GradioRequest:
    request, _ = json_read(path)
    status = _text(request, "status", 50).upper()
    if status not in STATUSES:
        raise GradioFileError(f"status {status!r} is none of {', '.join(STATUSES)}")
    weight_type = _text(request, "weight_type", 50).capitalize() or WeightType.ORIGINAL
    if weight_type not in WeightType.values:
        raise GradioFileError(f"weight type {weight_type!r} is none of {', '.join(WeightType.values)}")
    try:
        revision = check_revision(_text(request, "revision", 200))
    except SubmissionError as exc:
        raise GradioFileError(f"revision {request.get('revision')!r}: {exc.message}") from None
    if len(revision) > 40:
        raise GradioFileError(f"revision {revision!r} is longer than a commit sha")
    base_model = _text(request, "base_model", 200)
    if weight_type != WeightType.ORIGINAL:
        if not base_model:
            raise GradioFileError(f"{weight_type} weights without a base_model")
        base_model = _model_id(base_model)
    submitted = _text(request, "submitted_time", 64)
    try:
        submitted_at = datetime.fromisoformat(submitted) if submitted else None
    except ValueError:
        raise GradioFileError(f"submitted_time {submitted!r} is not an ISO date") from None
    if submitted_at is not None and submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=UTC)
    params, likes = request.get("params"), request.get("likes")
    return GradioRequest(
        path=path,
        model_id=_model_id(request.get("model")),
        revision=revision,
        precision=precision_parse(request.get("precision")),
        weight_type=weight_type,
        base_model=base_model,
        status=STATUSES[status],
        finished=status == "FINISHED",
        submitted_at=submitted_at,
        model_type=model_type_parse(request.get("model_type")),
        num_params=round(params * 1e9) if _number(params) and 0 < params < 1e6 else None,
        license=_text(request, "license", 100),
        likes=int(likes) if _number(likes) and 0 <= likes < 2**31 else 0,
        private=request.get("private") in (True, "True", "true"),
    )
