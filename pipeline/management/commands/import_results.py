from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from catalogue.models import Suite
from catalogue.precision import UNQUANTIZED, Precision
from evaluation.ingest import HarnessOutputError, harness_output_read, results_stderrs_check
from evaluation.record import record_build
from pipeline.intake import submission_submit
from pipeline.lifecycle import run_import
from rankings.services import IncompleteRunError
from submissions.errors import SubmissionError


def _model_args(config: dict) -> dict:
    """The CLI's --model_args, which results files keep as a dict (newer lm-eval) or a string."""
    args = config.get("model_args") or {}
    if isinstance(args, str):
        args = dict(part.split("=", 1) for part in args.split(",") if "=" in part)
    return {str(k): v for k, v in args.items()}


def _suite_for(results: dict, slug: str | None) -> Suite:
    if slug:
        suite = Suite.objects.filter(slug=slug).first()
        if suite is None:
            raise CommandError(f"no suite {slug!r}; load it with `manage.py load_suites`")
        return suite
    scored = {(task, key) for task, values in results["results"].items() for key in values}
    fits = [
        suite
        for suite in Suite.objects.prefetch_related("tasks")
        if suite.tasks.exists() and all((t.task, f"{t.metric},{t.metric_filter}") in scored for t in suite.tasks.all())
    ]
    if len(fits) != 1:
        found = ", ".join(s.slug for s in fits) or "none"
        raise CommandError(f"say which suite these results are for with --suite (suites they complete: {found})")
    return fits[0]


class Command(BaseCommand):
    help = (
        "Bring in an evaluation made with the lm_eval CLI (--log_samples): its results_<date>.json and "
        "samples_<task>_<date>.jsonl files become a finished run on a leaderboard. Without sample files, "
        "those written beside the results file are read."
    )

    def add_arguments(self, parser):
        parser.add_argument("results", type=Path, help="results_<date>.json")
        parser.add_argument("samples", nargs="*", type=Path, help="samples_<task>_<date>.jsonl")
        parser.add_argument("--suite", help="suite slug (default: the one suite the results complete)")
        parser.add_argument("--model", help="ORG/NAME (default: pretrained= of the results' model_args)")
        parser.add_argument("--revision", help="default: revision= of the results' model_args, else main")
        parser.add_argument("--precision", choices=Precision.values, help="default: dtype= of the model_args")

    def handle(self, *args, results, samples, suite, model, revision, precision, **options):
        if not samples:
            date = results.stem.removeprefix("results_")
            samples = sorted(results.parent.glob(f"samples_*_{date}.jsonl"))
        try:
            output = harness_output_read(results, samples)
            results_stderrs_check(output.results)
        except HarnessOutputError as exc:
            raise CommandError(str(exc)) from exc
        config = output.results.get("config") or {}
        model_args = _model_args(config)
        model = model or model_args.get("pretrained")
        precision = precision or model_args.get("dtype")
        if not model:
            raise CommandError("the results do not say which model they are for: give --model ORG/NAME")
        if precision not in Precision.values:
            raise CommandError(f"the results' dtype is {precision!r}: give --precision ({', '.join(UNQUANTIZED)}, ...)")
        revision = revision or str(model_args.get("revision") or "main")
        suite_obj = _suite_for(output.results, suite)
        spec = {
            "model_args": ",".join(f"{k}={v}" for k, v in model_args.items()),
            "backend": config.get("model") or "hf",
            "tasks": [{"task": task, "num_fewshot": n} for task, n in (output.results.get("n-shot") or {}).items()],
            "task_paths": [str((Path(settings.BASE_DIR) / p).resolve()) for p in suite_obj.task_paths],
            "apply_chat_template": bool(output.results.get("chat_template")),
            "batch_size": config.get("batch_size"),
            "device": config.get("device"),
        }
        duration = float(output.results.get("total_evaluation_time_seconds") or 0)
        try:
            with transaction.atomic():
                submission = submission_submit(
                    user=None,
                    model_id=model,
                    revision=revision,
                    precision=precision,
                    suite=suite_obj,
                    review=True,
                    check_now=True,
                )
                record = record_build(submission, spec, output.results, duration)
                record["imported_from"] = str(results.name)
                run = run_import(submission, output, record)
        except SubmissionError as exc:
            raise CommandError(exc.message) from exc
        except (HarnessOutputError, IncompleteRunError) as exc:
            raise CommandError(f"nothing imported: {exc}") from exc
        except IntegrityError as exc:
            raise CommandError(f"nothing imported: a samples file repeats a document ({exc})") from exc
        self.stdout.write(
            f"run {run.pk}: {submission.model_id}@{submission.commit_sha[:7]} ({precision}) is ranked on "
            f"{suite_obj.slug} with {run.results.count()} scores and {run.samples.count()} samples"
        )
