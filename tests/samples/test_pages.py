"""The sample browser: a run's samples of a task, filtered and searched, and one sample."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import EvalRun, RunStatus, SampleLog
from tests.ranked import html, log_sample, rank_model, uniform

pytestmark = pytest.mark.django_db


def test_sample_browser_pages_filters_and_searches(client, demo):
    entry = rank_model(demo, "org/m", uniform(demo, 0.5))
    task = demo.tasks.get(task="demo_medmcqa")
    for doc_id in range(120):
        correct = doc_id % 3 == 0
        log_sample(
            entry.run,
            task.task,
            doc_id,
            question=f"Question number {doc_id} about the kidney" if doc_id % 10 == 0 else f"Question number {doc_id}",
            choices=["A", "B", "C", "D"],
            target=1,
            lls=[-1.0, -0.5 if correct else -2.0, -1.5, -3.0],
        )
    url = f"/runs/{entry.run_id}/samples/{task.task}/"
    assert client.get(f"/runs/{entry.run_id}/samples/")["Location"] == f"/runs/{entry.run_id}/samples/demo_medmcqa/"
    page = html(client, url)
    assert len(re.findall(r'<article class="sample', page)) == 50 and "120 samples" in page
    assert 'id="doc-0"' in page and 'id="doc-49"' in page and 'id="doc-50"' not in page
    page2 = html(client, url, page=3)
    assert len(re.findall(r'<article class="sample', page2)) == 20 and 'id="doc-119"' in page2
    correct = html(client, url, outcome="correct")
    assert "40 samples" in correct and "✘ incorrect" not in correct
    incorrect = html(client, url, outcome="incorrect")
    assert "80 samples" in incorrect and "✔ correct" not in incorrect
    found = html(client, url, q="KIDNEY")
    assert "12 samples" in found and 'id="doc-110"' in found
    assert "4 samples" in html(client, url, q="kidney", outcome="correct")  # docs 0, 30, 60, 90


def test_sample_pages_of_a_finished_run_are_cached_of_a_running_one_not(client, demo):
    entry = rank_model(demo, "org/m", uniform(demo, 0.5))
    sample = {"question": "Q", "choices": ["A", "B"], "target": 0, "lls": [-1.0, -2.0]}
    log_sample(entry.run, "demo_medmcqa", 0, **sample)
    url = f"/runs/{entry.run_id}/samples/demo_medmcqa/"
    page = html(client, url)
    with CaptureQueriesContext(connection) as queries:
        assert html(client, url) == page
    assert not [q for q in queries.captured_queries if SampleLog._meta.db_table in q["sql"]]  # from the cache
    EvalRun.objects.filter(pk=entry.run_id).update(status=RunStatus.RUNNING, finished_at=None)
    assert 'id="doc-1"' not in html(client, url)
    log_sample(entry.run, "demo_medmcqa", 1, **sample)
    assert 'id="doc-1"' in html(client, url)  # a running run's page is read afresh every time


def test_a_sample_shows_prompt_choices_target_and_pick(client, demo):
    entry = rank_model(demo, "org/m", uniform(demo, 0.5))
    log_sample(
        entry.run,
        "demo_medmcqa",
        7,
        question="What <b>is</b>\n  spaced   out?",
        choices=["x", "y", "z", "w"],
        target=2,
        lls=[-1.25, -0.5, -3.0, -4.0],
    )
    page = html(client, f"/runs/{entry.run_id}/samples/demo_medmcqa/7/")
    assert "Question: What &lt;b&gt;is&lt;/b&gt;\n  spaced   out?\nAnswer:" in page  # exactly, escaped
    rows = re.findall(
        r'<tr class="([^"]*)">\s*<td>(.*?)</td>\s*<td><pre class="continuation">([^<]*)</pre></td>\s*'
        r'<td class="num">([^<]*)</td>',
        page,
    )
    assert [(cls.strip(), text, ll) for cls, _, text, ll in rows] == [
        ("", " x", "-1.2500"),
        ("pick", " y", "-0.5000"),
        ("target", " z", "-3.0000"),
        ("", " w", "-4.0000"),
    ]
    assert "✘ incorrect" in page and 'target: <strong class="target-text">z</strong>' in page
    assert client.get(f"/runs/{entry.run_id}/samples/demo_medmcqa/8/").status_code == 404
    assert client.get(f"/runs/{entry.run_id}/samples/no_such_task/").status_code == 404
    assert client.get("/runs/999999/samples/demo_medmcqa/").status_code == 404


def test_two_tasks_of_one_run_each_show_their_own_samples(client, demo):
    """The cached page of one task is never served for another task of the same run."""
    entry = rank_model(demo, "org/m", uniform(demo, 0.5))
    first, second = list(demo.tasks.all())[:2]
    for task in (first, second):
        log_sample(
            entry.run, task.task, 0, question=f"only in {task.task}", choices=["A", "B"], target=0, lls=[-1.0, -2.0]
        )
    for _ in range(2):  # the second round is served from the cache
        for task, other in ((first, second), (second, first)):
            page = html(client, f"/runs/{entry.run_id}/samples/{task.task}/")
            assert f"only in {task.task}" in page and f"only in {other.task}" not in page
            assert f"<title>{task.name} samples" in page


def test_sample_and_compare_pages_are_cached_under_their_cleaned_parameters(client, demo):
    """Spellings of the same page (a page number written differently, junk values, parameters the page does
    not read) share one cache entry: 600 spellings cannot fill the cache."""
    from django.core.cache import caches

    cache = caches["ranking"]
    entry = rank_model(demo, "org/m", uniform(demo, 0.5))
    rank_model(demo, "org/n", uniform(demo, 0.4))
    log_sample(entry.run, "demo_medmcqa", 0, question="Q", choices=["A", "B"], target=0, lls=[-1.0, -2.0])
    url = f"/runs/{entry.run_id}/samples/demo_medmcqa/"
    cache.clear()
    pages = {html(client, url, **params) for params in ({}, {"page": "1"}, {"page": "01"}, {"page": "x"}, {"z": 1})}
    assert len(pages) == 1 and len(cache._cache) == 2  # the page and the run's filters
    compare = {"suite": demo.slug, "models": "org/m,org/n"}
    cache.clear()
    for params in ({}, {"page": "1"}, {"page": " 1"}, {"page": "999"}, {"b": "nobody"}, {"task": "nothing"}):
        assert client.get("/compare/", {**compare, **params}).status_code == 200
    assert len(cache._cache) == 2  # the comparison and its one page
