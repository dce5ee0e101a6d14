"""The plots, the About page, the favicon and what the suite API says of each task."""

import pytest
from django.contrib.auth.models import User

from flags.models import Flag
from site_pages.about import datasets
from site_pages.selectors import score_distribution, top_score_history
from tests.ranked import html, rank_model, uniform

pytestmark = pytest.mark.django_db


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
