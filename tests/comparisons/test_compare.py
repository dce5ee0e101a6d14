"""Paired comparisons of models, through the real refresh path, the API and the compare page."""

import random

import pytest

from evaluation.models import SampleLog
from rankings.statistics import mcnemar_exact
from tests.factories import SampleLogFactory
from tests.ranked import ranked

pytestmark = pytest.mark.django_db


def log(run, task, doc_id, correct, *, doc_hash="h", metric="acc"):
    return SampleLogFactory(
        run=run, task=task, doc_id=doc_id, doc_hash=f"{doc_hash}{doc_id}", metrics={metric: 1.0 if correct else 0.0}
    )


@pytest.fixture
def two_logged(suites):
    """Two ranked models with samples on the demo suite: random right/wrong answers on the same questions, plus
    a question only one answered and one whose document differs (its hash) between them."""
    demo = suites["demo-medical"]
    a, b = ranked(demo, "org/a", 0.6), ranked(demo, "org/b", 0.5)
    rng = random.Random(7)
    for t in demo.tasks.all():
        for doc_id in range(30):
            log(a.run, t.task, doc_id, rng.random() < 0.6, metric=t.metric)
            log(b.run, t.task, doc_id, rng.random() < 0.5, metric=t.metric)
        log(a.run, t.task, 30, True, metric=t.metric)  # only a answered it
        log(a.run, t.task, 31, True, metric=t.metric)
        log(b.run, t.task, 31, False, doc_hash="other", metric=t.metric)  # another document under the same id
    return demo, a, b


def direct_counts(run_a, run_b, suite_task) -> dict:
    """The oracle: a plain Python count over the stored samples."""

    def outcomes(run):
        return {
            (s.doc_id, s.doc_hash): s.metrics.get(suite_task.metric) == 1
            for s in SampleLog.objects.filter(run=run, task=suite_task.task, filter=suite_task.metric_filter)
        }

    a, b = outcomes(run_a), outcomes(run_b)
    both = a.keys() & b.keys()
    return {
        "n": len(both),
        "a_correct": sum(a[k] for k in both),
        "b_correct": sum(b[k] for k in both),
        "only_a": sum(a[k] and not b[k] for k in both),
        "only_b": sum(b[k] and not a[k] for k in both),
    }


def test_compare_api_counts_equal_a_direct_count_over_the_samples(client, two_logged):
    demo, a, b = two_logged
    response = client.get(f"/api/compare/{demo.slug}/", {"models": "org/a,org/b"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["suite"] == demo.slug and data["models"] == ["org/a", "org/b"]
    (pair,) = data["comparisons"]
    assert pair["a"] == "org/a" and pair["b"] == "org/b" and pair["paired"]
    assert set(pair["tasks"]) == {t.task for t in demo.tasks.all()}
    for t in demo.tasks.all():
        got = pair["tasks"][t.task]
        expected = direct_counts(a.run, b.run, t)
        assert {k: got[k] for k in expected} == expected
        assert got["n"] == 30
        assert got["diff"] == pytest.approx((expected["a_correct"] - expected["b_correct"]) / expected["n"])
        assert got["p_value"] == pytest.approx(mcnemar_exact(expected["only_a"], expected["only_b"]))
        assert got["diff_ci"][0] < got["diff"] < got["diff_ci"][1]
    assert set(pair["average"]) >= {"diff", "diff_ci", "p_value"}
    assert 0 < pair["average"]["p_value"] <= 1


def test_compare_api_refuses_what_it_cannot_compare(client, two_logged):
    demo, _, _ = two_logged
    assert client.get(f"/api/compare/{demo.slug}/", {"models": "org/a"}).status_code == 400
    answer = client.get(f"/api/compare/{demo.slug}/", {"models": "org/a,org/nobody"})
    assert answer.status_code == 400 and "org/nobody" in answer.json()["models"][0]
    assert client.get("/api/compare/no-such-suite/", {"models": "org/a,org/b"}).status_code == 404
    assert "/api/compare/{slug}/" in client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]


def test_an_imported_row_is_compared_unpaired_from_its_stderr(client, suites):
    demo = suites["demo-medical"]
    ranked(demo, "org/a", 0.6)
    ranked(demo, "org/old", 0.5, imported=True, stderr=0.05)
    pair = client.get(f"/api/compare/{demo.slug}/", {"models": "org/a,org/old"}).json()["comparisons"][0]
    assert not pair["paired"]
    task = next(iter(pair["tasks"].values()))
    assert task["method"] == "unpaired z-test" and task["diff"] == pytest.approx(0.1)
    page = client.get("/compare/", {"suite": demo.slug, "models": "org/a,org/old"})
    assert b"cannot be paired" in page.content


def test_compare_page_lists_disagreements_with_links_to_both_samples(client, two_logged):
    demo, a, b = two_logged
    first = demo.tasks.first()
    page = client.get("/compare/", {"suite": demo.slug, "models": "org/a,org/b", "task": first.task})
    assert page.status_code == 200
    html = page.content.decode()
    expected = direct_counts(a.run, b.run, first)
    assert f"{expected['only_a'] + expected['only_b']} question" in html
    doc = next(
        s.doc_id
        for s in SampleLog.objects.filter(run=a.run, task=first.task).order_by("doc_id")
        if SampleLog.objects.filter(run=b.run, task=first.task, doc_id=s.doc_id, doc_hash=s.doc_hash)
        .exclude(metrics=s.metrics)
        .exists()
    )
    assert (
        f"/runs/{a.run_id}/samples/{first.task}/{doc}/" in html
        and f"/runs/{b.run_id}/samples/{first.task}/{doc}/" in html
    )
    assert client.get("/compare/", {"suite": demo.slug, "models": "org/a"}).status_code == 200  # pick another one
    picker = client.get("/compare/models.json", {"suite": demo.slug, "q": "org/"}).json()
    assert picker == {"models": ["org/a", "org/b"]}
