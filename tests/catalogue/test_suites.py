from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from catalogue.models import Suite, SuiteTask


def load(*files) -> str:
    out = StringIO()
    call_command("load_suites", *files, stdout=out)
    return out.getvalue()


def test_load_suites_loads_the_shipped_suites_idempotently(db):
    assert load() == load()
    assert set(Suite.objects.values_list("slug", flat=True)) == {
        "medical",
        "open-llm-v1",
        "demo-medical",
        "medical-generative",
        "demo-medical-generative",
    }
    medical = SuiteTask.objects.filter(suite__slug="medical")
    assert sorted(medical.values_list("task", flat=True)) == sorted(
        [
            "medmcqa",
            "medqa_4options",
            "mmlu_anatomy",
            "mmlu_clinical_knowledge",
            "mmlu_college_biology",
            "mmlu_college_medicine",
            "mmlu_medical_genetics",
            "mmlu_professional_medicine",
            "pubmedqa_pqal",
        ]
    )
    assert set(medical.values_list("num_fewshot", "metric", "scoring")) == {(0, "acc", "multiple_choice")}
    for slug, base in (("medical-generative", "medical"), ("demo-medical-generative", "demo-medical")):
        generative = SuiteTask.objects.filter(suite__slug=slug)
        assert sorted(generative.values_list("task", flat=True)) == sorted(
            f"{task}_generative" for task in SuiteTask.objects.filter(suite__slug=base).values_list("task", flat=True)
        )
        assert {(t.scoring, t.metric, t.metric_filter, tuple(t.other_filters)) for t in generative} == {
            ("generative", "exact_match", "strict-match", ("flexible-extract",))
        }
    open_llm = dict(SuiteTask.objects.filter(suite__slug="open-llm-v1").values_list("task", "num_fewshot"))
    assert open_llm == {
        "arc_challenge": 25,
        "hellaswag": 10,
        "mmlu": 5,
        "truthfulqa_mc2": 0,
        "winogrande": 5,
        "gsm8k": 5,
    }
    assert SuiteTask.objects.get(suite__slug="open-llm-v1", task="gsm8k").metric_filter == "strict-match"


def test_a_suite_file_update_replaces_its_tasks(db, tmp_path):
    path = tmp_path / "mini.yaml"
    path.write_text("slug: mini\nname: Mini\ntasks:\n  - {task: a, name: A}\n  - {task: b, name: B}\n")
    load(path)
    path.write_text("slug: mini\nname: Mini v2\ntasks:\n  - {task: b, name: B2, num_fewshot: 5}\n")
    load(path)
    suite = Suite.objects.get(slug="mini")
    assert suite.name == "Mini v2"
    assert list(suite.tasks.values_list("task", "name", "num_fewshot")) == [("b", "B2", 5)]


@pytest.mark.parametrize(
    "text",
    [
        "slug: x\ntasks:\n  - {task: a, scoring: by-vibes}\n",
        "slug: x\ntasks:\n  - {task: a, other_filters: flexible}\n",
        "slug: x\n",
        "- not a mapping\n",
        "slug: x\ntasks:\n  - {name: no task key}\n",
        "::",
    ],
)
def test_a_malformed_suite_file_is_refused_whole(db, tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match="bad.yaml"):
        load(path)
    assert not Suite.objects.exists()
