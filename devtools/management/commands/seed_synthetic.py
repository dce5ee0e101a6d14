"""Fill the database with synthetic ranked models (and logged samples) for benchmarks.

Rows are made the way the platform makes them (a finished submission, its run, its TaskResults,
its ranking entry, its samples in lm-eval's format), in bulk. Synthetic models are named
``synthetic-*``; running the command again replaces them. Not for a production database.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from catalogue.models import Suite
from catalogue.precision import Precision
from core.bulk import rows_copy
from evaluation.ingest import SAMPLE_COLUMNS, sample_row
from evaluation.models import EvalRun, RunStatus, SampleLog, TaskResult
from flags.models import Flag, FlagReason, FlagStatus
from rankings.models import LeaderboardEntry
from rankings.services import (
    Result,
    _run_statistics,
    _submission_columns,
    scores_summary,
    suite_ranks_refresh,
)
from submissions.models import ModelSubmission, ModelType, Status

PREFIX = "synthetic-"
SIZES = [0.5, 1.1, 1.5, 2.7, 3.8, 7.2, 8.0, 13.0, 14.0, 34.0, 46.7, 70.0, 72.0, 141.0]
LICENSES = ["apache-2.0", "mit", "llama2", "llama3", "gemma", "cc-by-nc-4.0", "other", "openrail"]
ARCHITECTURES = [
    "LlamaForCausalLM",
    "MistralForCausalLM",
    "Qwen2ForCausalLM",
    "GemmaForCausalLM",
    "MixtralForCausalLM",
    "PhiForCausalLM",
]
WORDS = [
    "patient",
    "presents",
    "with",
    "acute",
    "chronic",
    "pain",
    "fever",
    "renal",
    "hepatic",
    "cardiac",
    "lesion",
    "therapy",
    "dose",
    "diagnosis",
    "syndrome",
    "deficiency",
    "enzyme",
    "receptor",
    "nerve",
    "artery",
    "muscle",
    "infection",
    "antibiotic",
]


class Command(BaseCommand):
    help = "Rank N synthetic models on a suite (with M logged samples per task) for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--models", type=int, required=True)
        parser.add_argument("--suite", required=True, help="suite slug (load_suites first)")
        parser.add_argument("--samples", type=int, default=0, help="logged samples per task and model")
        parser.add_argument(
            "--sample-models", type=int, default=None, help="log samples for only the first K models (default: all)"
        )
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, models, suite, samples, sample_models, seed, **options):
        try:
            suite = Suite.objects.get(slug=suite)
        except Suite.DoesNotExist:
            raise CommandError(f"no suite {suite!r}: run `python manage.py load_suites` first") from None
        suite_tasks = list(suite.tasks.all())
        if not suite_tasks:
            raise CommandError(f"{suite.slug} has no tasks")
        rng = random.Random(seed)
        with transaction.atomic():
            deleted = ModelSubmission.objects.filter(suite=suite, model_id__startswith=PREFIX).delete()[0]
            Flag.objects.filter(model_id__startswith=PREFIX).delete()
            LeaderboardEntry.objects.filter(suite=suite, model_id__startswith=PREFIX).delete()
            if deleted:
                self.stdout.write(f"removed the previous synthetic rows of {suite.slug}")
            runs = self._rank(suite, suite_tasks, models, rng)
        self.stdout.write(f"ranked {models} synthetic models on {suite.slug}")
        if samples:
            count = self._samples(runs[: sample_models or len(runs)], suite_tasks, samples, rng)
            self.stdout.write(f"logged {count} samples")

    def _rank(self, suite, suite_tasks, n, rng) -> list[EvalRun]:
        now = timezone.now()
        submissions = []
        for i in range(n):
            size = rng.choice(SIZES)
            org = f"{PREFIX}org{i % 400}"
            submissions.append(
                ModelSubmission(
                    model_id=f"{org}/model-{i}-{size:g}b",
                    commit_sha=f"{rng.getrandbits(160):040x}",
                    precision=rng.choice([Precision.BFLOAT16, Precision.FLOAT16, Precision.FLOAT32, Precision.INT4]),
                    model_type=rng.choice(ModelType.values),
                    suite=suite,
                    status=Status.FINISHED,
                    facts={
                        "num_params": int(size * 1e9),
                        "architecture": "MixtralForCausalLM" if size in (46.7, 141.0) else rng.choice(ARCHITECTURES),
                        "license": rng.choice(LICENSES),
                        "likes": int(rng.lognormvariate(2, 1.5)),
                        "is_moe": size in (46.7, 141.0),
                        "private": rng.random() < 0.02,
                        "gated": rng.random() < 0.1,
                    },
                )
            )
        ModelSubmission.objects.bulk_create(submissions, batch_size=2000)
        # Spread the submission dates over two years, oldest first.
        dates = sorted(now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60)) for _ in submissions)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {ModelSubmission._meta.db_table} SET created_at = %s WHERE id = %s",
                [(date, s.pk) for date, s in zip(dates, submissions, strict=True)],
            )
        for date, submission in zip(dates, submissions, strict=True):
            submission.created_at = date
        runs = EvalRun.objects.bulk_create(
            [
                EvalRun(
                    submission=s,
                    status=RunStatus.FINISHED,
                    started_at=s.created_at,
                    finished_at=s.created_at,
                    record={"commands": [f"lm_eval --model hf --model_args pretrained={s.model_id}"]},
                )
                for s in submissions
            ],
            batch_size=2000,
        )
        results, entries = [], []
        for submission, run in zip(submissions, runs, strict=True):
            # Better models over time and with size, plus noise per model and task.
            age = (now - submission.created_at).days / 730
            size = submission.facts["num_params"] / 1e9
            quality = 0.3 + 0.25 * (1 - age) + 0.05 * min(size, 70) ** 0.5 / 8.4 + rng.gauss(0, 0.08)
            scores = {t.task: min(1.0, max(0.0, quality + rng.gauss(0, 0.06))) for t in suite_tasks}
            for t in suite_tasks:
                results.append(
                    TaskResult(
                        run=run,
                        task=t.task,
                        metric=t.metric,
                        metric_filter=t.metric_filter,
                        value=scores[t.task],
                        stderr=0.012,
                    )
                )
            found = {t.task: Result(scores[t.task], 0.012, None, t.num_fewshot) for t in suite_tasks}
            entries.append(
                LeaderboardEntry(
                    suite=suite,
                    run=run,
                    submission=submission,
                    **_submission_columns(submission, None),
                    **scores_summary(scores, suite_tasks),
                    **_run_statistics(found, suite_tasks, imported=False, subjects=[]),
                )
            )
        TaskResult.objects.bulk_create(results, batch_size=5000)
        LeaderboardEntry.objects.bulk_create(entries, batch_size=2000)
        self._flags(entries, rng)
        suite_ranks_refresh(suite.pk)
        return runs

    def _flags(self, entries, rng) -> None:
        """About 1% of the models carry an upheld community flag."""
        flagger, _ = get_user_model().objects.get_or_create(username=f"{PREFIX}flagger")
        for entry in rng.sample(entries, max(1, len(entries) // 100)):
            flag = Flag.objects.create(
                model_id=entry.model_id,
                user=flagger,
                reason=FlagReason.CONTAMINATION,
                status=FlagStatus.UPHELD,
                explanation="synthetic",
                moderation_note="synthetic",
                moderated_at=timezone.now(),
            )
            LeaderboardEntry.objects.filter(pk=entry.pk).update(flag=flag)

    def _samples(self, runs, suite_tasks, per_task, rng) -> int:
        """Samples as lm-eval logs multiple-choice loglikelihood requests, copied in as ingestion does."""
        letters = "ABCDE"

        def rows():
            for run in runs:
                for t in suite_tasks:
                    k = t.choices or 4
                    for doc_id in range(per_task):
                        question = " ".join(rng.choice(WORDS) for _ in range(14)).capitalize() + "?"
                        options = [" ".join(rng.choice(WORDS) for _ in range(3)) for _ in range(k)]
                        prompt = (
                            f"Question: {question}\nChoices:\n"
                            + "".join(f"{letters[i]}. {option}\n" for i, option in enumerate(options))
                            + "Answer:"
                        )
                        target = rng.randrange(k)
                        lls = [round(rng.uniform(-12, -1), 6) for _ in range(k)]
                        pick = max(range(k), key=lambda i: lls[i])
                        resps = [[[str(ll), "False"]] for ll in lls]
                        sample = {
                            "filter": t.metric_filter,
                            "doc_id": doc_id,
                            "doc": {"question": question, "options": options, "answer": target},
                            "arguments": {
                                f"gen_args_{i}": {"arg_0": prompt, "arg_1": f" {letters[i]}"} for i in range(k)
                            },
                            "target": target,
                            "resps": resps,
                            "filtered_resps": [r[0] for r in resps],
                            "metrics": [t.metric],
                            t.metric: 1.0 if pick == target else 0.0,
                        }
                        yield sample_row(run.pk, t.task, sample)

        return rows_copy(table=SampleLog._meta.db_table, columns=SAMPLE_COLUMNS, rows=rows())
