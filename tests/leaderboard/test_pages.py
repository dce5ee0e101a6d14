"""Model pages, the sample browser, plots and the About page."""

import json
import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evaluation.models import EvalRun, RunStatus, SampleLog
from leaderboard.about import datasets
from leaderboard.models import Flag
from leaderboard.selectors import score_distribution, top_score_history
from tests.leaderboard.conftest import log_sample, rank_model, uniform

pytestmark = pytest.mark.django_db


def html(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.content.decode()


def test_model_page_scores_runs_record_and_flags(client, demo):
    tasks = list(demo.tasks.all())
    entry = rank_model(
        demo,
        "org/star",
        {t.task: 0.6 + i / 100 for i, t in enumerate(tasks)},
        architecture="<b>Arch</b>",
        num_params=1_234_000_000,
        license="apache-2.0",
    )
    rank_model(demo, "org/a", uniform(demo, 0.2))
    rank_model(demo, "org/b", uniform(demo, 0.4))
    failed = EvalRun.objects.create(
        submission=entry.submission, status=RunStatus.FAILED, failure_reason="out of GPU memory"
    )
    alice = User.objects.create_user("alice")
    Flag.objects.create(user=alice, model_id="org/star", reason="metadata", explanation="wrong size")
    page = html(client, "/models/org/star/")
    assert "<b>Arch</b>" not in page and "&lt;b&gt;Arch&lt;/b&gt;" in page
    assert "1,234,000,000" in page and "apache-2.0" in page
    for t in tasks:
        assert t.name in page
    assert "60.0 <small" in page  # the first task's score, then its interval
    assert ">40.0<" in page  # the median of the suite's three ranked models
    assert f"#{failed.pk}" in page and "out of GPU memory" in page
    assert "lm_eval --model hf --model_args pretrained=org/star" in page
    assert "wrong metadata" in page and "/flags/" in page
    chart = json.loads(
        re.search(r'<script id="chart-data" type="application/json">(.*?)</script>', page, re.S).group(1)
    )
    [suite_chart] = chart
    assert suite_chart["tasks"][0] == {
        "name": tasks[0].name,
        "score": 0.6,
        "ci": [pytest.approx(entry.ci_low[0]), pytest.approx(entry.ci_high[0])],
        "median": 0.4,
    }
    assert client.get("/models/nobody/nothing/").status_code == 404


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


def test_plots(client, demo):
    rank_model(demo, "org/first", uniform(demo, 0.4), days_ago=30)
    rank_model(demo, "org/worse", uniform(demo, 0.3), days_ago=20)
    rank_model(demo, "org/better", uniform(demo, 0.6), days_ago=10)
    rank_model(demo, "org/best-but-flagged", uniform(demo, 0.9), days_ago=5).__class__.objects.filter(
        model_id="org/best-but-flagged"
    ).update(
        flag=Flag.objects.create(
            user=User.objects.create_user("u"), model_id="org/best-but-flagged", reason="other", explanation="x"
        )
    )
    history = top_score_history(demo)
    assert [(step["model"], step["score"]) for step in history] == [
        ("org/first", pytest.approx(0.4)),
        ("org/better", pytest.approx(0.6)),
    ]
    [medmcqa, *_] = score_distribution(demo, list(demo.tasks.all()))
    assert sum(medmcqa["counts"]) == 3 and medmcqa["counts"][8] == 1 and medmcqa["counts"][12] == 1
    page = html(client, "/leaderboards/demo-medical/plots/")
    assert 'data-chart="history"' in page and 'data-chart="distribution"' in page and "/static/js/charts.js" in page


def test_about_page(client, suites):
    page = html(client, "/about/")
    for fact in [
        "MedQA (USMLE)",
        "1,273 test questions",
        "PubMedQA",
        "MedMCQA",
        "MMLU Anatomy",
        "135 questions",
        "@misc{open-medical-llm-leaderboard",
        "Copy the citation",
        "How do I submit a model?",
        "My model failed",
        "Can I edit a submission?",
        "lm_eval --model hf",
        "Two ways of scoring",
        "<code>generative</code>",
        "<code>strict-match</code>",
    ]:
        assert fact in page, fact
    described = [row.dataset for suite in suites.values() for row in datasets(list(suite.tasks.all()))]
    assert described and all(described)  # every task of the suite files says what its dataset is


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


def test_favicon_ico_leads_to_the_sites_icon(client):
    from django.conf import settings

    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    assert (settings.BASE_DIR / "static" / "favicon.svg").read_text().startswith("<svg")  # the live server serves it


def test_the_suite_api_says_how_each_task_is_scored(client, suites):
    generative = client.get("/api/suites/demo-medical-generative/").json()
    assert {(t["scoring"], t["metric"], t["filter"], tuple(t["other_filters"])) for t in generative["tasks"]} == {
        ("generative", "exact_match", "strict-match", ("flexible-extract",))
    }
    multiple_choice = client.get("/api/suites/demo-medical/").json()
    assert {(t["scoring"], t["filter"]) for t in multiple_choice["tasks"]} == {("multiple_choice", "none")}
