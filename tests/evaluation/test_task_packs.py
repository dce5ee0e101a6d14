"""The task packs reproduce the harness's own prompts, choices and targets."""

import importlib.util
from pathlib import Path

import datasets
import lm_eval.tasks.medmcqa.utils_medmcqa as upstream_medmcqa
import lm_eval.tasks.medqa.preprocess_medqa as upstream_medqa
import lm_eval.tasks.pubmedqa.preprocess_pubmedqa as upstream_pubmedqa
import pytest
from lm_eval import utils
from lm_eval.tasks import TaskManager
from lm_eval.tasks._yaml_loader import load_yaml

PACKS = Path(__file__).resolve().parents[2] / "evaluation" / "task_packs"
UPSTREAM = Path(upstream_medqa.__file__).resolve().parents[1]
MMLU_SUBJECTS = [
    "anatomy",
    "clinical_knowledge",
    "college_biology",
    "college_medicine",
    "medical_genetics",
    "professional_medicine",
]


def upstream_mmlu(subject):
    config = load_yaml(str(UPSTREAM / "mmlu" / "default" / f"mmlu_{subject}.yaml"), resolve_func=False)
    return lambda doc: utils.apply_template(config["doc_to_text"], doc), lambda doc: doc["answer"], config


UPSTREAM_TASKS = {
    "demo_medqa_4options": (upstream_medqa.doc_to_text, upstream_medqa.doc_to_target, ["A", "B", "C", "D"]),
    "demo_medmcqa": (upstream_medmcqa.doc_to_text, lambda doc: doc["cop"], ["A", "B", "C", "D"]),
    "demo_pubmedqa": (upstream_pubmedqa.doc_to_text, lambda doc: doc["final_decision"], ["yes", "no", "maybe"]),
}


@pytest.fixture(scope="module")
def demo_tasks():
    pack = PACKS / "demo_medical"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(pack)  # data_files resolve against the working directory
        manager = TaskManager(include_path=str(pack), include_defaults=False)
        names = [n for n in manager.all_subtasks if n.startswith("demo_")]
        tasks = manager.load(names)["tasks"]
        yield {name: (task, list(task.test_docs() or task.validation_docs())) for name, task in tasks.items()}


def test_the_demo_pack_has_the_nine_medical_datasets_and_their_generative_variants(demo_tasks):
    nine = [*UPSTREAM_TASKS, *(f"demo_mmlu_{s}" for s in MMLU_SUBJECTS)]
    assert sorted(demo_tasks) == sorted([*nine, *(f"{name}_generative" for name in nine)])
    for name in nine:
        docs = demo_tasks[name][1]
        assert 10 <= len(docs) <= 30, name
        generative, generative_docs = demo_tasks[f"{name}_generative"]
        assert generative_docs == docs, name  # the same questions, scored from the generated text
        assert generative.OUTPUT_TYPE == "generate_until" and generative.config.num_fewshot == 0


@pytest.mark.parametrize("name", [*UPSTREAM_TASKS, *(f"demo_mmlu_{s}" for s in MMLU_SUBJECTS)])
def test_demo_prompts_match_upstream(demo_tasks, name):
    task, docs = demo_tasks[name]
    if name.startswith("demo_mmlu_"):
        to_text, to_target, config = upstream_mmlu(name.removeprefix("demo_mmlu_"))
        choices, description = config["doc_to_choice"], config["description"]
    else:
        (to_text, to_target, choices), description = UPSTREAM_TASKS[name], ""
    assert task.config.description == description
    for doc in docs:
        assert task.doc_to_text(doc) == to_text(doc)
        assert task.doc_to_target(doc) == to_target(doc)
        assert task.doc_to_choice(doc) == choices
        assert task.fewshot_context(doc, num_fewshot=0) == description + to_text(doc)


def test_pubmedqa_pqal_keeps_the_official_test_set_with_upstreams_prompt():
    spec = importlib.util.spec_from_file_location("pqal_utils", PACKS / "medical" / "utils.py")
    pqal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pqal)
    test_ids = (PACKS / "medical" / "pubmedqa_test_pmids.txt").read_text().split()
    rows = [
        {
            "pubid": int(pubid),
            "question": f"Does treatment {i} help?",
            "context": {
                "contexts": [f"Background {i}.", f"Results {i}."],
                "labels": ["B", "R"],
                "meshes": ["Humans"],
                "reasoning_required_pred": ["y", "e", "s"],
                "reasoning_free_pred": ["n", "o"],
            },
            "long_answer": "It may.",
            "final_decision": ["yes", "no", "maybe"][i % 3],
        }
        for i, pubid in enumerate([*test_ids, "1", "2", "3"])  # three training questions besides the test set
    ]
    docs = pqal.process_docs(datasets.Dataset.from_list(rows))
    assert len(docs) == 500 and sorted(docs["pubid"]) == sorted(test_ids)
    doc = docs[0]
    assert pqal.doc_to_text(doc) == upstream_pubmedqa.doc_to_text(doc)
    assert (
        pqal.doc_to_text(doc)
        == f"Abstract: {doc['CONTEXTS'][0]}\n{doc['CONTEXTS'][1]}\nQuestion: {doc['QUESTION']}\nAnswer:"
    )
    assert doc["reasoning_required_pred"] == "yes"
