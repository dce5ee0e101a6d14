"""The generative tasks' two answer extractions, run through lm-eval's own filters on hand-written generations."""

from pathlib import Path

import pytest
from lm_eval.api.registry import get_filter
from lm_eval.tasks._yaml_loader import load_yaml

PACKS = Path(__file__).resolve().parents[2] / "evaluation" / "task_packs"
INVALID = "[invalid]"


def extract(task_file: str, generation: str) -> dict[str, str]:
    """{filter name: what it extracts from ``generation``}, through the task's filter_list as lm-eval builds it."""
    config = load_yaml(str(PACKS / task_file), resolve_func=False)
    extracted = {}
    for ensemble in config["filter_list"]:
        resps = [[generation]]
        for step in ensemble["filter"]:
            kwargs = {key: value for key, value in step.items() if key != "function"}
            resps = get_filter(step["function"])(**kwargs).apply(resps, [{}])
        extracted[ensemble["name"]] = list(resps)[0]
    return extracted


LETTERS = [
    ("The answer is (B)", "B", "B"),
    ("Let's think step by step. Option A is wrong.\nThe answer is (C).", "C", "C"),
    ("the answer is D", "D", "D"),
    ("It is either (A) or (C); on balance (C).", INVALID, "C"),  # several letters, no final line: the last one
    ("The answer is (A). On reflection, the answer is (B).", "B", "B"),  # two final lines: the last one
    ("I cannot tell.", INVALID, INVALID),  # none found
    ("", INVALID, INVALID),
    # A thinking block that names a wrong letter before the final answer.
    ("<think>Maybe the answer is (A)? No: (A) is a vein.</think>\nThe answer is (D).", "D", "D"),
    ("The answer is (E).", INVALID, INVALID),  # not an option
]


@pytest.mark.parametrize(
    "task_file", ["demo_medical/demo_medqa_4options_generative.yaml", "medical/mmlu_anatomy_generative.yaml"]
)
@pytest.mark.parametrize(("generation", "strict", "flexible"), LETTERS)
def test_letters_are_extracted_strictly_from_the_final_line_and_flexibly_from_anywhere(
    task_file, generation, strict, flexible
):
    assert extract(task_file, generation) == {"strict-match": strict, "flexible-extract": flexible}


@pytest.mark.parametrize(
    ("generation", "strict", "flexible"),
    [
        ("The study found lower mortality. The answer is yes.", "yes", "yes"),
        ("Not clear: maybe. The answer is No", "No", "No"),
        ("Yes at first, then no.", INVALID, "no"),
        ("<think>I would say yes.</think> The answer is maybe", "maybe", "maybe"),
        ("The abstract does not say.", INVALID, INVALID),
    ],
)
@pytest.mark.parametrize(
    "task_file", ["demo_medical/demo_pubmedqa_generative.yaml", "medical/pubmedqa_pqal_generative.yaml"]
)
def test_pubmedqa_answers_are_yes_no_or_maybe(task_file, generation, strict, flexible):
    assert extract(task_file, generation) == {"strict-match": strict, "flexible-extract": flexible}
