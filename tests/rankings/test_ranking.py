"""The public ranking: columns, sorting, filters, score modes, reference rows, exports."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest

from rankings.models import LeaderboardEntry
from rankings.references import reference_save
from rankings.services import score_normalise
from tests.ranked import rank_model, uniform

pytestmark = pytest.mark.django_db


def rows(page: str) -> list[str]:
    """The model of each table row, top to bottom."""
    return re.findall(r'<tr[^>]*data-model="([^"]+)"', page)


def headers(page: str) -> list[str]:
    """The ranking table's column headers."""
    head = re.search(r'<table class="ranking" id="ranking">\s*<thead[^>]*>(.*?)</thead>', page, re.S).group(1)
    return re.findall(r"<th[^>]*>(?:<a[^>]*>)?([^<]*)", head)


def get(client, url, **params):
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_entry_holds_what_the_ranking_filters_and_shows(demo):
    scores = {t.task: 0.25 + 0.05 * i for i, t in enumerate(demo.tasks.all())}
    entry = rank_model(
        demo,
        "org-a/model-7b",
        scores,
        num_params=7_240_000_000,
        architecture="MistralForCausalLM",
        license="apache-2.0",
        likes=42,
        is_moe=True,
        private=True,
        model_type="merge",
    )
    entry.refresh_from_db()
    assert (entry.params_billions, entry.architecture, entry.license, entry.likes) == (
        7.24,
        "MistralForCausalLM",
        "apache-2.0",
        42,
    )
    assert entry.is_moe and entry.is_merged and not entry.on_hub and not entry.is_reference
    assert entry.average == pytest.approx(sum(scores.values()) / len(scores))
    assert entry.raw == [scores[t.task] for t in demo.tasks.all()]
    expected = [max(0, (scores[t.task] - 1 / t.choices) / (1 - 1 / t.choices)) for t in demo.tasks.all()]
    assert entry.norm == pytest.approx(expected)
    assert entry.average_norm == pytest.approx(sum(expected) / len(scores))


def test_normalisation_floors_at_chance_and_leaves_tasks_without_choices_raw():
    assert score_normalise(0.25, 4) == 0
    assert score_normalise(0.10, 4) == 0
    assert score_normalise(1.0, 3) == pytest.approx(1)
    assert score_normalise(0.6, 2) == pytest.approx(0.2)
    assert score_normalise(0.37, None) == 0.37


def test_page_ranks_best_average_first_with_every_column(client, demo):
    rank_model(demo, "org-a/low", uniform(demo, 0.30), num_params=1_000_000_000)
    rank_model(demo, "org-b/high", uniform(demo, 0.70), num_params=70_000_000_000, license="mit")
    rank_model(demo, "org-c/mid", uniform(demo, 0.50))
    page = get(client, "/leaderboards/demo-medical/")
    assert rows(page) == ["org-b/high", "org-c/mid", "org-a/low"]
    assert headers(page) == [
        "Rank",
        "Band",
        "Type",
        "Model",
        "Average",
        *[t.name for t in demo.tasks.all()],
        "Precision",
        "#Params (B)",
        "Hub likes",
        "Submitted",
    ]
    assert 'href="/models/org-b/high/"' in page and 'href="https://huggingface.co/org-b/high"' in page
    assert ">70.0 <" in page  # the average, as a percentage

    everything = [t.task for t in demo.tasks.all()] + [
        "model_type",
        "architecture",
        "weight_type",
        "precision",
        "license",
        "params",
        "likes",
        "on_hub",
        "sha",
        "submitted",
    ]
    page = get(client, "/leaderboards/demo-medical/", cols=everything)
    assert headers(page)[-10:] == [
        "Model type",
        "Architecture",
        "Weight type",
        "Precision",
        "License",
        "#Params (B)",
        "Hub likes",
        "On the hub",
        "Commit",
        "Submitted",
    ]
    assert ">mit<" in page


def test_column_picker_hides_columns_and_can_average_the_visible_ones(client, demo):
    tasks = [t.task for t in demo.tasks.all()]
    good_first = {task: 0.9 if i == 0 else 0.38 for i, task in enumerate(tasks)}
    rank_model(demo, "org/first-task-expert", good_first)
    rank_model(demo, "org/all-rounder", uniform(demo, 0.4))
    page = get(client, "/leaderboards/demo-medical/", cols=tasks[1:])
    assert headers(page) == ["Rank", "Band", "Type", "Model", "Average", *[t.name for t in demo.tasks.all()][1:]]
    # the average over all tasks still counts the hidden one...
    assert rows(page) == ["org/first-task-expert", "org/all-rounder"]
    # ...unless asked to average the visible columns only
    page = get(client, "/leaderboards/demo-medical/", cols=tasks[1:], average="visible")
    assert rows(page) == ["org/all-rounder", "org/first-task-expert"]
    assert ">40.0 <" in page and ">38.0 <" in page


def test_normalised_scores(client, demo):
    rank_model(demo, "org/m", uniform(demo, 0.625))
    raw = get(client, "/leaderboards/demo-medical/")
    norm = get(client, "/leaderboards/demo-medical/", scores="norm")
    assert ">62.5 <" in raw and ">50.0 <" not in raw
    assert ">50.0 <" in norm  # (0.625 - 1/4) / (1 - 1/4) on the four-choice tasks
    assert f">{score_normalise(0.625, 3) * 100:.1f} <" in norm  # PubMedQA has three


def test_sorting_on_columns(client, demo):
    tasks = [t.task for t in demo.tasks.all()]
    rank_model(demo, "org/a", {**uniform(demo, 0.5), tasks[2]: 0.1}, num_params=3_000_000_000, likes=5)
    rank_model(demo, "org/b", {**uniform(demo, 0.35), tasks[2]: 0.9}, likes=50)
    rank_model(demo, "org/c", {**uniform(demo, 0.3), tasks[2]: 0.5}, num_params=1_000_000_000, likes=1)
    assert rows(get(client, "/leaderboards/demo-medical/", sort="score_2")) == ["org/a", "org/c", "org/b"]
    assert rows(get(client, "/leaderboards/demo-medical/", sort="-score_2")) == ["org/b", "org/c", "org/a"]
    assert rows(get(client, "/leaderboards/demo-medical/", sort="-likes")) == ["org/b", "org/a", "org/c"]
    assert rows(get(client, "/leaderboards/demo-medical/", sort="model_id")) == ["org/a", "org/b", "org/c"]
    # unknown sizes last, whichever the direction
    assert rows(get(client, "/leaderboards/demo-medical/", sort="params")) == ["org/c", "org/a", "org/b"]
    assert rows(get(client, "/leaderboards/demo-medical/", sort="-params")) == ["org/a", "org/c", "org/b"]
    assert rows(get(client, "/leaderboards/demo-medical/", sort="rank")) == ["org/a", "org/b", "org/c"]
    # the rank stays the rank by average whatever the sort
    page = get(client, "/leaderboards/demo-medical/", sort="-score_2")
    assert re.search(r'data-model="org/b">\s*<td[^>]*>2</td>', page)


def test_the_co2_column_shows_each_runs_estimate_and_sorts_on_it(client, demo):
    rank_model(demo, "org/a", uniform(demo, 0.5), co2_g=12.5)
    rank_model(demo, "org/b", uniform(demo, 0.4), co2_g=3.0)
    rank_model(demo, "org/c", uniform(demo, 0.3))  # a run on a CPU, or imported: no estimate
    page = get(client, "/leaderboards/demo-medical/", cols=["co2"])
    assert headers(page)[-1] == "CO₂ (g)" and '<td class="num">12.5</td>' in page
    assert rows(get(client, "/leaderboards/demo-medical/", cols=["co2"], sort="co2")) == ["org/b", "org/a", "org/c"]
    assert rows(get(client, "/leaderboards/demo-medical/", cols=["co2"], sort="-co2")) == ["org/a", "org/b", "org/c"]


def test_filters(client, demo):
    rank_model(demo, "meta/llama-7b", uniform(demo, 0.5), num_params=7e9, license="llama2", precision="float16")
    rank_model(demo, "mistral/mixtral-47b", uniform(demo, 0.6), num_params=47e9, is_moe=True, license="apache-2.0")
    rank_model(demo, "bob/merged-13b", uniform(demo, 0.55), num_params=13e9, model_type="merge")
    rank_model(demo, "carol/gone", uniform(demo, 0.4), private=True, model_type="fine-tuned")
    url = "/leaderboards/demo-medical/"
    everyone = {"mistral/mixtral-47b", "bob/merged-13b", "meta/llama-7b", "carol/gone"}
    assert set(rows(get(client, url))) == everyone
    assert rows(get(client, url, search="LLAMA; carol")) == ["meta/llama-7b", "carol/gone"]
    assert rows(get(client, url, search="mistral")) == ["mistral/mixtral-47b"]  # the organisation's name
    assert rows(get(client, url, type=["merge", "fine-tuned"])) == ["bob/merged-13b", "carol/gone"]
    assert rows(get(client, url, precision="float16")) == ["meta/llama-7b"]
    assert rows(get(client, url, size=["7", "unknown"])) == ["meta/llama-7b", "carol/gone"]
    assert rows(get(client, url, size="35")) == []
    assert rows(get(client, url, params_min="10", params_max="50")) == ["mistral/mixtral-47b", "bob/merged-13b"]
    assert rows(get(client, url, license="apache-2.0")) == ["mistral/mixtral-47b"]
    assert set(rows(get(client, url, hide_moe="on"))) == everyone - {"mistral/mixtral-47b"}
    assert set(rows(get(client, url, hide_merged="on"))) == everyone - {"bob/merged-13b"}
    assert set(rows(get(client, url, hide_private="on"))) == everyone - {"carol/gone"}


def test_bad_parameters_are_ignored_not_errors(client, demo):
    rank_model(demo, "org/m", uniform(demo, 0.5))
    for params in [
        {"params_min": "lots"},
        {"cols": "nope"},
        {"sort": "nope"},
        {"page": "999"},
        {"type": "nope"},
        {"scores": "<b>"},
        {"size": "huge"},
        {"page": "-1"},
    ]:
        response = client.get("/leaderboards/demo-medical/", params)
        assert response.status_code in (200, 404), params
        assert response.status_code == 200 or "page" in params
    assert client.get("/leaderboards/no-such-suite/").status_code == 404


def test_reference_rows_are_shown_but_never_ranked(client, demo):
    tasks = [t.task for t in demo.tasks.all()]
    rank_model(demo, "org/best", uniform(demo, 0.6))
    rank_model(demo, "org/second", uniform(demo, 0.4))
    reference_save(suite=demo, model_id="GPT-4 (published)", scores=uniform(demo, 0.8), reference_source="a paper")
    reference_save(suite=demo, model_id="Partial <b>ref</b>", scores={tasks[0]: 0.7})
    page = get(client, "/leaderboards/demo-medical/")
    assert rows(page) == ["GPT-4 (published)", "org/best", "org/second", "Partial &lt;b&gt;ref&lt;/b&gt;"]
    ranks = re.findall(r'data-model="[^"]+">\s*<td[^>]*>([^<]*)</td>', page)
    assert ranks == ["—", "1", "2", "—"]
    assert "<b>ref</b>" not in page
    partial = LeaderboardEntry.objects.get(model_id="Partial <b>ref</b>")
    assert partial.average is None and partial.is_reference
    data = client.get("/leaderboards/demo-medical/ranking.json").json()
    assert [row["model"] for row in data["rows"]] == ["org/best", "org/second"]


def test_exports_follow_the_view(client, demo):
    tasks = list(demo.tasks.all())
    rank_model(demo, "org/alpha", uniform(demo, 0.6), license="mit")
    rank_model(demo, "org/beta", uniform(demo, 0.5), license="=cmd|' /C calc'!A0")
    rank_model(demo, "other/gamma", uniform(demo, 0.7))
    data = client.get("/leaderboards/demo-medical/ranking.json").json()
    assert set(data) == {"suite", "tasks", "rows"} and data["tasks"] == [t.task for t in tasks]
    assert [r["model"] for r in data["rows"]] == ["other/gamma", "org/alpha", "org/beta"]
    assert set(data["rows"][0]) == {
        "model",
        "revision",
        "precision",
        "scores",
        "average",
        "ci",
        "average_ci",
        "rank_band",
        "comparable",
    }
    assert data["rows"][1]["scores"] == uniform(demo, 0.6) and data["rows"][1]["average"] == pytest.approx(0.6)

    query = {"search": "org/", "sort": "model_id", "cols": [tasks[0].task, "license"], "scores": "norm"}
    data = client.get("/leaderboards/demo-medical/ranking.json", query).json()
    assert data["tasks"] == [tasks[0].task]
    assert [r["model"] for r in data["rows"]] == ["org/alpha", "org/beta"]
    assert data["rows"][0]["scores"] == {tasks[0].task: pytest.approx(score_normalise(0.6, 4))}

    response = client.get("/leaderboards/demo-medical/ranking.csv", query)
    assert response["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table[0] == [
        "rank",
        "model",
        "reference",
        "flagged",
        "average",
        tasks[0].name,
        "License",
        "rank best",
        "rank worst",
        "average 95% low",
        "average 95% high",
        f"{tasks[0].name} 95% low",
        f"{tasks[0].name} 95% high",
    ]
    assert [row[1] for row in table[1:]] == ["org/alpha", "org/beta"]
    assert [row[0] for row in table[1:]] == ["2", "3"]  # ranks on the whole leaderboard
    assert table[2][6].startswith("'=")  # no formula for a spreadsheet to run


def test_one_page_is_a_few_queries_at_any_size(client, demo, django_assert_max_num_queries):
    for i in range(120):
        rank_model(demo, f"org/m{i}", uniform(demo, i / 200), num_params=(i + 1) * 1e8, license=f"l{i % 3}")
    query = {"sort": "-score_3", "search": "org", "page": 2}
    # with the subjects of the suite's breakdowns for its picker; the page's ids and ranks, then its rows, which are
    # rendered once per change of the ranking
    with django_assert_max_num_queries(9):
        page = get(client, "/leaderboards/demo-medical/", **query)
    assert len(rows(page)) == 50
    with django_assert_max_num_queries(1):  # the same view again: its body comes from the cache
        assert get(client, "/leaderboards/demo-medical/", **query) == page
    rank_model(demo, "org/newcomer", uniform(demo, 0.99))
    assert "org/newcomer" in get(client, "/leaderboards/demo-medical/", search="org")  # a change shows at once


def test_user_text_is_escaped(client, demo):
    rank_model(demo, "org/m", uniform(demo, 0.5), license="<script>alert(1)</script>", architecture="<i>x</i>")
    page = get(client, "/leaderboards/demo-medical/", cols=["license", "architecture"])
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<i>x</i>" not in page
    page = get(client, "/leaderboards/demo-medical/", search='"><script>alert(2)</script>')
    assert "<script>alert(2)" not in page


def test_staff_add_reference_rows_in_the_admin(client, demo):
    User.objects.create_superuser("admin", "a@example.org", "admin-pass-123")
    client.login(request=HttpRequest(), username="admin", password="admin-pass-123")  # django-axes needs the request
    response = client.post(
        "/admin/rankings/leaderboardentry/add/",
        {
            "suite": demo.pk,
            "model_id": "Random baseline",
            "reference_source": "1/choices",
            "scores": "",
            "random_baseline": "on",
            "model_type": "",
            "params_billions": "",
            "license": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    baseline = LeaderboardEntry.objects.get(model_id="Random baseline")
    assert baseline.is_reference and baseline.submission is None
    assert baseline.scores == {t.task: pytest.approx(1 / t.choices) for t in demo.tasks.all()}
    assert baseline.average_norm == 0

    response = client.post(
        "/admin/rankings/leaderboardentry/add/",
        {
            "suite": demo.pk,
            "model_id": "Bad",
            "scores": '{"no_such_task": 0.5}',
            "model_type": "",
        },
    )
    assert response.status_code == 200 and "has no task no_such_task" in response.content.decode()
    response = client.post(
        "/admin/rankings/leaderboardentry/add/",
        {
            "suite": demo.pk,
            "model_id": "Bad",
            "scores": '{"demo_medmcqa": 80}',
            "model_type": "",
        },
    )
    assert response.status_code == 200 and "must be a number from 0 to 1" in response.content.decode()
    assert not LeaderboardEntry.objects.filter(model_id="Bad").exists()


def test_htmx_asks_for_the_results_alone_and_an_unknown_subject_is_refused(client, demo):
    rank_model(demo, "org/a", uniform(demo, 0.6))
    rank_model(demo, "org/b", uniform(demo, 0.4))
    full = get(client, "/leaderboards/demo-medical/", search="org/a")
    part = client.get(
        "/leaderboards/demo-medical/", {"search": "org/a"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ranking-results"
    )
    assert part.status_code == 200 and "HX-Request" in part["Vary"]
    fragment = part.content.decode()
    assert fragment.startswith('<div id="ranking-results"') and "<html" not in fragment and "<form" not in fragment
    assert fragment in full and rows(fragment) == ["org/a"] and "1 row<" in fragment
    refused = client.get("/leaderboards/demo-medical/", {"subject": "Astrology"})
    assert refused.status_code == 400
    assert "has no subject &#x27;Astrology&#x27;" in refused.content.decode()


def test_rows_are_rendered_once_per_change_of_the_ranking(client, demo, settings):
    """With pages not cached, a page renders from the rows kept since the ranking last changed; a change (a flag
    upheld, a new entry) shows at once."""
    settings.RANKING_CACHE_SECONDS = 0
    rank_model(demo, "org/a", uniform(demo, 0.6))
    rank_model(demo, "org/b", uniform(demo, 0.4))
    first = get(client, "/leaderboards/demo-medical/")
    assert get(client, "/leaderboards/demo-medical/") == first
    assert get(client, "/leaderboards/demo-medical/", sort="avg").index('data-model="org/b"') < first.index(
        'data-model="org/b"'
    )
    rank_model(demo, "org/c", uniform(demo, 0.5), license="mit")  # a newcomer: the ranking's version changes
    again = get(client, "/leaderboards/demo-medical/", cols=["license"])
    assert rows(again) == ["org/a", "org/c", "org/b"] and ">mit<" in again


@pytest.mark.parametrize("cache_seconds", [300, 0])
def test_a_suite_edited_in_the_admin_shows_at_once(client, demo, settings, cache_seconds):
    """What is kept per ranking version (cached pages; with pages not cached, the suite, its tasks and the tabs) is
    kept under a key that also changes with the suites' definitions: a task renamed or a suite added shows on the
    next view, though the ranking itself did not change."""
    from catalogue.models import Suite

    settings.RANKING_CACHE_SECONDS = cache_seconds
    rank_model(demo, "org/a", uniform(demo, 0.6))
    task = demo.tasks.first()
    page = get(client, "/leaderboards/demo-medical/")
    assert task.name in headers(page) and "Another suite" not in page
    task.name = "Renamed column"
    task.save()
    Suite.objects.create(slug="another", name="Another suite", position=99)
    page = get(client, "/leaderboards/demo-medical/")
    assert "Renamed column" in headers(page) and ">Another suite</a>" in page


def test_counts_and_score_columns_kept_per_version_follow_the_ranking(client, demo, settings):
    """With pages not cached, each set of filters is counted, and each display of the scores gets its columns, once
    per version of the ranking: every display and filter shows its own, and a newcomer changes them at once."""
    settings.RANKING_CACHE_SECONDS = 0
    rank_model(demo, "org/a", uniform(demo, 0.625), license="mit")
    rank_model(demo, "org/b", uniform(demo, 0.4), license="apache-2.0")
    url = "/leaderboards/demo-medical/"
    assert "<strong>2 rows</strong>" in get(client, url)
    assert "<strong>1 row</strong>" in get(client, url, license="mit")
    assert "<strong>1 row</strong>" in get(client, url, license="mit", sort="avg", scores="norm")
    assert "<strong>0 rows</strong>" in get(client, url, search="nobody")
    raw, norm = get(client, url), get(client, url, scores="norm")
    assert ">62.5 <" in raw and ">50.0 <" not in raw
    assert ">50.0 <" in norm and ">62.5 <" not in norm
    rank_model(demo, "org/c", uniform(demo, 0.5), license="mit")  # the ranking's version changes
    assert "<strong>3 rows</strong>" in get(client, url)
    page = get(client, url, license="mit")
    assert "<strong>2 rows</strong>" in page and rows(page) == ["org/a", "org/c"]
    assert rows(get(client, url, scores="norm", sort="avg")) == ["org/b", "org/c", "org/a"]
