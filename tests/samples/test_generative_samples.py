"""The sample browser on a generative task: the thinking folded, the extracted answer highlighted, and the
questions no answer was found in, or answered wrong, one filter away."""

from tests.factories import SampleLogFactory
from tests.ranked import rank_model, uniform

TASK = "demo_medqa_4options_generative"


def _generation(run, doc_id, text, extracted, correct, *, thinking=""):
    prompt = f"<|user|>\nQuestion {doc_id}\n<|assistant|>\n"
    return SampleLogFactory(
        run=run,
        task=TASK,
        filter="strict-match",
        doc_id=doc_id,
        arguments={"gen_args_0": {"arg_0": prompt, "arg_1": {"until": ["</s>"], "max_gen_toks": 768}}},
        target="B",
        resps=[[text]],
        filtered_resps=[extracted],
        metrics={"exact_match": float(correct)},
        thinking=thinking,
        thinking_tokens=len(thinking.split()) or None,
        answer_tokens=len(text.split()),
    )


def test_generative_samples_show_thinking_folded_the_answer_highlighted_and_filter_no_answer(client, suites):
    suite = suites["demo-medical-generative"]
    run = rank_model(suite, "org/reasoner", uniform(suite, 0.5)).run
    _generation(run, 0, "The answer is (B).", "B", True, thinking="<think>Maybe (A)? No.</think>")
    _generation(run, 1, "The answer is (C).", "C", False)
    _generation(run, 2, "I cannot tell.", "[invalid]", False)

    page = client.get(f"/runs/{run.pk}/samples/{TASK}/").content.decode()
    assert '<details class="thinking">' in page and "Maybe (A)? No." in page
    assert '<mark class="extracted">B</mark>' in page and '<mark class="no-answer">none found</mark>' in page
    assert 'value="no_answer"' in page

    no_answer = client.get(f"/runs/{run.pk}/samples/{TASK}/", {"outcome": "no_answer"}).content.decode()
    assert 'id="doc-2"' in no_answer and 'id="doc-0"' not in no_answer and 'id="doc-1"' not in no_answer
    wrong = client.get(f"/runs/{run.pk}/samples/{TASK}/", {"outcome": "incorrect"}).content.decode()
    assert 'id="doc-1"' in wrong and 'id="doc-2"' in wrong and 'id="doc-0"' not in wrong

    api = client.get(f"/api/runs/{run.pk}/samples/{TASK}/", {"outcome": "no_answer"}).json()
    assert [sample["doc_id"] for sample in api["results"]] == [2]
    assert client.get(f"/api/runs/{run.pk}/samples/{TASK}/", {"outcome": "maybe"}).status_code == 400
