"""A stored run, written back in the format of the ``lm_eval`` CLI: what imports read, downloads give."""

import hashlib
import json
import os
import re
import tempfile
import zipfile
from pathlib import Path

from django.conf import settings
from filelock import FileLock

from evaluation.models import EvalRun, ResultsFile, SampleLog


def _sanitized(model_name: str) -> str:
    """lm-eval's folder name for a model (EvaluationTracker's model_name_sanitized)."""
    return re.sub(r"[\"<>:/|\\?*\[\]]+", "__", model_name)


def sample_line(sample: SampleLog) -> dict:
    """One line of samples_<task>_<date>.jsonl, as lm-eval's EvaluationTracker writes it."""
    line = {
        "doc_id": sample.doc_id,
        "doc": sample.doc,
        "target": sample.target,
        "arguments": sample.arguments,
        "resps": sample.resps,
        "filtered_resps": sample.filtered_resps,
        "filter": sample.filter,
        "metrics": list(sample.metrics),
        "doc_hash": sample.doc_hash,
        "prompt_hash": sample.prompt_hash,
        "target_hash": hashlib.sha256(sample.target.encode("utf-8")).hexdigest(),
    }
    line.update(sample.metrics)
    return line


def run_export_zip(run: EvalRun, fileobj) -> None:
    """Write ``<model>/results_<date>.json`` and one ``<model>/samples_<task>_<date>.jsonl`` per task
    into a zip. The run must be finished (have a ResultsFile)."""
    results = ResultsFile.objects.get(run=run)
    folder = _sanitized(results.data.get("model_name") or run.submission.model_id)
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            f"{folder}/results_{results.date_id}.json", json.dumps(results.data, indent=2, ensure_ascii=False)
        )
        samples = SampleLog.objects.filter(run=run).order_by("task", "filter", "doc_id")
        task, out = None, None
        for sample in samples.iterator(chunk_size=2000):
            if sample.task != task:
                if out is not None:
                    out.close()
                task = sample.task
                out = archive.open(f"{folder}/samples_{task}_{results.date_id}.jsonl", "w")
            assert out is not None  # opened at the first sample
            out.write((json.dumps(sample_line(sample), ensure_ascii=False) + "\n").encode("utf-8"))
        if out is not None:
            out.close()


def run_export_build(run_id: int) -> None:
    """The django-q2 task a finished run queues (evaluation.services.run_store): its download built before anyone
    asks for it. A run gone since, or a repeated delivery, does nothing."""
    run = EvalRun.objects.select_related("submission").filter(pk=run_id).first()
    if run is not None and ResultsFile.objects.filter(run=run).exists():
        run_export_file(run)


def run_export_file(run: EvalRun) -> Path:
    """The run's zip (run_export_zip) in DATA_DIR/downloads: built when the run finished (run_export_build), or
    by the first request that wants it where that task has not run yet, under a lock so that concurrent builders
    wait for one build instead of each making their own; a finished run's results never change, so it is kept.
    The name carries the run's creation time: a database rebuilt from scratch, whose run ids start again, never
    gets another database's file."""
    folder = Path(settings.DATA_DIR) / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"run-{run.pk}-{int(run.created_at.timestamp() * 1e6)}.zip"
    with FileLock(f"{path}.lock"):
        if not path.exists():
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".part", delete=False) as part:
                try:
                    run_export_zip(run, part)
                except BaseException:
                    os.unlink(part.name)
                    raise
            os.replace(part.name, path)
    return path
