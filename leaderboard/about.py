"""What the About page says about each benchmark, and how to cite and reproduce the leaderboard."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from evaluation.models import Suite, SuiteTask
from evaluation.record import reproduce_commands


@dataclass(frozen=True)
class Dataset:
    size: str
    tests: str
    link: str


MMLU = "https://arxiv.org/abs/2009.03300"

# Keyed by lm-eval task name; a demo task (``demo_`` prefix) is a small offline slice of the same dataset.
DATASETS = {
    "medqa_4options": Dataset(
        "1,273 test questions",
        "Questions in the style of the US Medical Licensing Examination (USMLE), here with four options each: "
        "the broad medical knowledge and clinical reasoning a licence requires.",
        "https://arxiv.org/abs/2009.13081",
    ),
    "medmcqa": Dataset(
        "4,183 questions (the validation split; the test answers are not public)",
        "Entrance-exam questions of Indian medical schools (AIIMS and NEET PG) over 21 subjects and about "
        "2,400 healthcare topics, four options each.",
        "https://proceedings.mlr.press/v174/pal22a.html",
    ),
    "pubmedqa": Dataset(
        "500 test questions (of 1,000 expert-labelled ones)",
        "A research question with a PubMed abstract as context, to answer yes, no or maybe: reading and "
        "reasoning over biomedical literature.",
        "https://arxiv.org/abs/1909.06146",
    ),
    "mmlu_clinical_knowledge": Dataset("265 questions", "Clinical knowledge and decision making.", MMLU),
    "mmlu_medical_genetics": Dataset("100 questions", "Medical genetics.", MMLU),
    "mmlu_anatomy": Dataset("135 questions", "Human anatomy.", MMLU),
    "mmlu_professional_medicine": Dataset(
        "272 questions", "What a practising medical professional is expected to know.", MMLU
    ),
    "mmlu_college_biology": Dataset("144 questions", "Biology at college level.", MMLU),
    "mmlu_college_medicine": Dataset("173 questions", "Medicine at college level.", MMLU),
    "arc_challenge": Dataset(
        "1,172 test questions",
        "Grade-school science questions that simple retrieval and word co-occurrence get wrong.",
        "https://arxiv.org/abs/1803.05457",
    ),
    "hellaswag": Dataset(
        "10,042 validation items",
        "Commonsense inference: pick the ending of a sentence; easy for people (about 95%), hard for models.",
        "https://arxiv.org/abs/1905.07830",
    ),
    "mmlu": Dataset(
        "14,042 test questions over 57 subjects",
        "Multitask knowledge from elementary mathematics to law, history and medicine.",
        MMLU,
    ),
    "truthfulqa_mc2": Dataset(
        "817 questions",
        "Whether a model repeats falsehoods that are common online; scored as the probability mass it puts "
        "on the true answers.",
        "https://arxiv.org/abs/2109.07958",
    ),
    "winogrande": Dataset(
        "1,267 validation items",
        "Pronoun resolution that needs commonsense, built to defeat word-association shortcuts.",
        "https://arxiv.org/abs/1907.10641",
    ),
    "gsm8k": Dataset(
        "1,319 test problems",
        "Grade-school maths word problems solved step by step; the final number must match exactly.",
        "https://arxiv.org/abs/2110.14168",
    ),
}
ALIASES = {"pubmedqa_pqal": "pubmedqa"}

METRICS = {
    "acc": "accuracy: the answer whose continuation the model finds most likely is its pick",
    "acc_norm": "accuracy with each answer's log-likelihood divided by its length in characters",
    "exact_match": "exact match of the extracted final answer",
}


@dataclass(frozen=True)
class DatasetRow:
    suite_task: SuiteTask
    dataset: Dataset | None
    demo: bool
    metric: str


def datasets(suite_tasks: list[SuiteTask]) -> list[DatasetRow]:
    rows = []
    for t in suite_tasks:
        demo = t.task.startswith("demo_")
        name = t.task.removeprefix("demo_")
        rows.append(
            DatasetRow(t, DATASETS.get(ALIASES.get(name, name)), demo, METRICS.get(t.metric, t.metric))
        )
    return rows


def reproduce_command(suite: Suite | None) -> list[str]:
    """The lm_eval command lines a run of ``suite`` records, for a model yet to be named."""
    if suite is None:
        return []
    spec = {
        "model_args": "pretrained=ORG/NAME,revision=COMMIT_SHA,dtype=bfloat16",
        "tasks": [{"task": t.task, "num_fewshot": t.num_fewshot} for t in suite.tasks.all()],
        "task_paths": [str((Path(settings.BASE_DIR) / p).resolve()) for p in suite.task_paths],
        "apply_chat_template": False,
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
