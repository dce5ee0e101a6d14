"""What the About page says about each benchmark, and how to cite and reproduce the leaderboard."""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings

from catalogue.models import Scoring, Suite, SuiteTask
from catalogue.services import SUITES_DIR
from evaluation.record import reproduce_commands
from rankings import statistics


@dataclass(frozen=True)
class Dataset:
    size: str
    tests: str
    link: str


@cache
def _described() -> dict[str, Dataset]:
    """The dataset each task runs on, as the suite files (catalogue/suites/*.yaml) describe it: by task name."""
    described = {}
    for path in sorted(SUITES_DIR.glob("*.yaml")):
        for entry in yaml.safe_load(path.read_text())["tasks"]:
            if "about" in entry:
                described[entry["task"]] = Dataset(**entry["about"])
    return described


METRICS = {
    "acc": "accuracy: the answer whose continuation the model finds most likely is its pick",
    "acc_norm": "accuracy with each answer's log-likelihood divided by its length in characters",
    "exact_match": "exact match of the answer extracted from the model's generated text",
}


@dataclass(frozen=True)
class DatasetRow:
    suite_task: SuiteTask
    dataset: Dataset | None
    demo: bool
    metric: str


def datasets(suite_tasks: list[SuiteTask]) -> list[DatasetRow]:
    """Each task's dataset (for a demo task, ``demo_`` prefix, the dataset it has a small offline slice of) and
    what its metric means."""
    return [
        DatasetRow(
            t,
            _described().get(t.task) or _described().get(t.task.removesuffix("_generative")),
            t.task.startswith("demo_"),
            METRICS.get(t.metric, t.metric),
        )
        for t in suite_tasks
    ]


def reproduce_command(suite: Suite | None) -> list[str]:
    """The lm_eval command lines a run of ``suite`` records, for a model yet to be named."""
    if suite is None:
        return []
    generative = any(t.scoring == Scoring.GENERATIVE for t in suite.tasks.all())
    spec = {
        "model_args": "pretrained=ORG/NAME,revision=COMMIT_SHA,dtype=bfloat16",
        "tasks": [{"task": t.task, "num_fewshot": t.num_fewshot} for t in suite.tasks.all()],
        "task_paths": [str((Path(settings.BASE_DIR) / p).resolve()) for p in suite.task_paths],
        "apply_chat_template": generative,
        "system_instruction": suite.system_instruction if generative else "",
        "backend": "hf",
    }
    return reproduce_commands(spec, "auto", "cuda:0")


CITATION = r"""@misc{open-medical-llm-leaderboard,
  author       = {Ankit Pal and Pasquale Minervini and Andreas Geert Motzfeldt and Aryo Pradipta Gema and Beatrice Alex},
  title        = {openlifescienceai/open\_medical\_llm\_leaderboard},
  year         = {2024},
  publisher    = {Hugging Face},
  howpublished = {\url{https://huggingface.co/spaces/openlifescienceai/open_medical_llm_leaderboard}}
}

@software{eval-harness,
  author    = {Gao, Leo and Tow, Jonathan and Biderman, Stella and Black, Sid and DiPofi, Anthony and Foster,
               Charles and Golding, Laurence and Hsu, Jeffrey and McDonell, Kyle and Muennighoff, Niklas and
               Phang, Jason and Reynolds, Laria and Tang, Eric and Thite, Anish and Wang, Ben and Wang, Kevin
               and Zou, Andy},
  title     = {A framework for few-shot language model evaluation},
  year      = {2021},
  publisher = {Zenodo},
  doi       = {10.5281/zenodo.5371628},
  url       = {https://doi.org/10.5281/zenodo.5371628}
}"""


def statistics_methods() -> list[str]:
    """The methods behind every interval, band and comparison, as rankings.statistics' docstring states them:
    one paragraph per item of its list."""
    items: list[str] = []
    for line in statistics.__doc__.splitlines()[1:]:
        line = line.strip()
        if line.startswith("- "):
            items.append(line[2:])
        elif line and items:
            items[-1] += " " + line
    return items
