import time

from django.core.management.base import BaseCommand, CommandError

from catalogue.models import Suite
from catalogue.precision import Precision
from pipeline.intake import submission_approve, submission_submit
from pipeline.jobs import run_evaluate_now
from submissions.errors import SubmissionError
from submissions.models import Status

FINAL = (Status.FINISHED, Status.FAILED, Status.CANCELLED)


class Command(BaseCommand):
    help = (
        "Put a model on a leaderboard without the web flow: an approved submission and its run. "
        "Exit status 0 only if the run finished."
    )

    def add_arguments(self, parser):
        parser.add_argument("model_id", help="ORG/NAME on the Hugging Face hub")
        parser.add_argument("--revision", default="main")
        parser.add_argument("--precision", default="float32", choices=Precision.values)
        parser.add_argument("--suite", required=True, help="suite slug")
        parser.add_argument(
            "--chat-template", action="store_true", help="prompt through the model's chat template (generative suites)"
        )
        parser.add_argument("--think-end-token", default="", help="a reasoning model's end-of-thinking marker")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--sync", action="store_true", help="run the job in this process")
        mode.add_argument("--wait", action="store_true", help="let the cluster run it and wait for the end (default)")

    def handle(
        self, *args, model_id, revision, precision, suite, sync, wait, chat_template, think_end_token, **options
    ):
        suite_obj = Suite.objects.filter(slug=suite).first()
        if suite_obj is None:
            raise CommandError(f"no suite {suite!r}; load it with `manage.py load_suites`")
        try:
            submission = submission_submit(
                user=None,
                model_id=model_id,
                revision=revision,
                precision=precision,
                suite=suite_obj,
                use_chat_template=chat_template,
                think_end_token=think_end_token,
                review=True,
                check_now=True,
            )
        except SubmissionError as exc:
            raise CommandError(exc.message) from exc
        submission_approve(submission, actor=None, note="started with manage.py evaluate")
        run = submission.runs.get()
        self.stdout.write(f"submission {submission.pk}, run {run.pk}: {model_id}@{submission.commit_sha}")
        if sync:
            run_evaluate_now(run.pk)
        while True:  # also after --sync: a cluster may have claimed the run first; a lost worker's run is retried
            submission.refresh_from_db()
            if submission.status in FINAL:
                break
            time.sleep(1)
        run = submission.runs.order_by("-created_at", "-pk").first()
        if submission.status != Status.FINISHED:
            raise CommandError(f"run {run.pk} {run.status}: {run.failure_reason}")
        entry = submission.leaderboard_entry
        self.stdout.write(f"run {run.pk} finished: average {entry.average:.4f}")
