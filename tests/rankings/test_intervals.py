"""Intervals, rank bands, comparable rows and paired comparisons, through the real refresh path and pages."""

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from evaluation.models import RunStatus, SubjectResult
from flags.models import Flag, FlagStatus
from rankings.models import LeaderboardEntry
from rankings.references import reference_save
from rankings.services import entries_refresh_model, entry_refresh
from rankings.statistics import Z95, wilson_interval
from tests.factories import EvalRunFactory, TaskResultFactory
from tests.ranked import ranked

pytestmark = pytest.mark.django_db


def oracle_bands(intervals: dict[str, tuple[float, float]]) -> dict[str, tuple[int, int]]:
    """The rule as the issue states it, by brute force."""
    n = len(intervals)
    return {
        name: (
            1 + sum(low > high_this for low, _ in intervals.values()),
            n - sum(high < low_this for _, high in intervals.values()),
        )
        for name, (low_this, high_this) in intervals.items()
    }


def test_task_and_average_intervals_are_stored_when_a_run_is_ranked(suites):
    demo = suites["demo-medical"]
    entry = ranked(demo, "org/a", 0.6, n=100)
    tasks = list(demo.tasks.all())
    low, high = wilson_interval(60, 100)
    assert entry.ci_low == pytest.approx([low] * len(tasks)) and entry.ci_high == pytest.approx([high] * len(tasks))
    half = Z95 * (len(tasks) * 0.6 * 0.4 / 100) ** 0.5 / len(tasks)  # the delta method over independent tasks
    assert entry.average_ci == pytest.approx([0.6 - half, 0.6 + half])
    imported = ranked(demo, "org/imported", 0.5, imported=True, stderr=0.03)  # no samples: lm-eval's stderr
    assert imported.ci_low[0] == pytest.approx(0.5 - Z95 * 0.03) and imported.ci_high[0] == pytest.approx(
        0.5 + Z95 * 0.03
    )


def test_bands_follow_the_rule_on_a_ranking_with_known_ties(suites):
    demo = suites["demo-medical"]
    scores = {"org/a": 0.80, "org/b": 0.78, "org/c": 0.50, "org/d": 0.49, "org/e": 0.20}
    for model_id, score in scores.items():
        ranked(demo, model_id, score, n=100)
    ranked(demo, "org/a2", 0.79)
    ranked(demo, "org/flagged", 0.90)
    flag = Flag.objects.create(
        model_id="org/flagged",
        user=User.objects.create(username="reporter"),
        reason="other",
        explanation="x",
        status=FlagStatus.UPHELD,
    )
    LeaderboardEntry.objects.filter(model_id="org/flagged").update(flag=flag)
    entries_refresh_model("org/flagged")  # what moderating the flag does
    five_shot = ranked(demo, "org/five-shot", 0.95, num_fewshot=5)  # not the suite's setting
    rows = {e.model_id: e for e in LeaderboardEntry.objects.filter(suite=demo)}
    assert not rows["org/five-shot"].comparable and rows["org/five-shot"].rank is None
    assert rows["org/five-shot"].rank_band is None and five_shot.num_fewshot == 5
    intervals = {m: (e.average_ci_low, e.average_ci_high) for m, e in rows.items() if e.rank is not None}
    assert set(intervals) == {*scores, "org/a2"} and rows["org/flagged"].rank_band is None
    expected = oracle_bands(intervals)
    assert {m: tuple(rows[m].rank_band) for m in intervals} == expected
    # built to have these ties: the top three overlap, so do the middle two; the last is alone
    assert expected["org/a"] == (1, 3) and expected["org/b"] == (1, 3) and expected["org/a2"] == (1, 3)
    assert expected["org/c"] == (4, 5) and expected["org/d"] == (4, 5) and expected["org/e"] == (6, 6)


def test_a_reference_in_another_setting_is_not_comparable(suites):
    demo = suites["demo-medical"]
    scores = {t.task: 0.9 for t in demo.tasks.all()}
    same = reference_save(suite=demo, model_id="Paper model", scores=scores, reference_source="a paper")
    other = reference_save(
        suite=demo, model_id="Med-PaLM 2", scores=scores, num_fewshot=5, scoring="ensemble refinement"
    )
    assert same.comparable and not other.comparable


def test_exports_and_the_api_carry_intervals_and_bands(client, suites):
    demo = suites["demo-medical"]
    tasks = list(demo.tasks.all())
    ranked(demo, "org/a", 0.7)
    ranked(demo, "org/b", 0.4)
    data = client.get(f"/leaderboards/{demo.slug}/ranking.json").json()
    row = data["rows"][0]
    assert row["model"] == "org/a" and row["rank_band"] == [1, 1]
    assert row["ci"][tasks[0].task] == pytest.approx(list(wilson_interval(70, 100)))
    assert row["average_ci"][0] < row["average"] < row["average_ci"][1]
    api = client.get(f"/api/leaderboard/{demo.slug}/").json()["rows"][0]
    assert api["ci"] == row["ci"] and api["average_ci"] == row["average_ci"] and api["rank_band"] == [1, 1]
    lines = list(csv.reader(io.StringIO(client.get(f"/leaderboards/{demo.slug}/ranking.csv").content.decode())))
    header, first = lines[0], dict(zip(lines[0], lines[1], strict=True))
    assert {"rank best", "rank worst", "average 95% low", "average 95% high"} <= set(header)
    assert first["rank best"] == "1" and float(first[f"{tasks[0].name} 95% low"]) == pytest.approx(
        wilson_interval(70, 100)[0]
    )
    normalised = client.get(f"/leaderboards/{demo.slug}/ranking.json", {"scores": "norm"}).json()["rows"][0]
    assert normalised["average_ci"][0] < normalised["average"] < normalised["average_ci"][1]


def test_the_ranking_shows_bands_and_filters_models_that_could_be_first(client, suites):
    demo = suites["demo-medical"]
    ranked(demo, "org/a", 0.80)
    ranked(demo, "org/b", 0.79)
    ranked(demo, "org/c", 0.30)
    page = client.get(f"/leaderboards/{demo.slug}/").content.decode()
    assert "1–2" in page and "could-be-first" in page
    page = client.get(f"/leaderboards/{demo.slug}/", {"could_be_first": "on"}).content.decode()
    assert 'data-model="org/a"' in page and 'data-model="org/b"' in page and 'data-model="org/c"' not in page
    by_band = client.get(f"/leaderboards/{demo.slug}/", {"sort": "-band"}).content.decode()  # worst band first
    assert by_band.index('data-model="org/c"') < by_band.index('data-model="org/a"')


def test_an_empty_default_suite_says_where_the_demo_board_is(client, suites, settings):
    settings.DEFAULT_SUITE = "medical"
    assert "run <code>make demo</code>" in client.get("/").content.decode().replace("Run", "run")  # nothing ranked
    ranked(suites["demo-medical"], "org/a", 0.5)
    home = client.get("/").content.decode()  # the first suite that ranks a model
    assert 'data-model="org/a"' in home and "<h1>Medical Demo (offline)</h1>" in home
    page = client.get("/leaderboards/medical/").content.decode()
    assert "No model is ranked" in page and "/leaderboards/demo-medical/" in page
    ranked(suites["medical"], "org/b", 0.5)
    assert 'data-model="org/b"' in client.get("/").content.decode()  # the default suite, once it ranks one


def test_subject_breakdowns_show_on_the_model_page_and_sort_the_ranking(client, suites):
    demo = suites["demo-medical"]
    assert demo.tasks.get(task="demo_medmcqa").breakdown == "subject_name"  # from the suite's YAML
    for model_id, right in (("org/a", 1), ("org/b", 4)):
        run = EvalRunFactory(
            status=RunStatus.FINISHED, submission__user=None, submission__model_id=model_id, submission__suite=demo
        )
        for t in demo.tasks.all():
            TaskResultFactory(
                run=run, task=t.task, metric=t.metric, value=0.9 if model_id == "org/a" else 0.5, n_samples=30
            )
        SubjectResult.objects.create(run=run, task="demo_medmcqa", subject="Pharmacology", n=5, correct=right)
        entry_refresh(run)
    b = LeaderboardEntry.objects.get(model_id="org/b")
    assert b.subjects["Pharmacology"]["n"] == 5 and b.subjects["Pharmacology"]["score"] == pytest.approx(0.8)
    assert b.subjects["Pharmacology"]["ci"] == pytest.approx(list(wilson_interval(4, 5)))
    assert "Pharmacology" in client.get("/models/org/b/").content.decode()
    by_average = client.get(f"/leaderboards/{demo.slug}/").content.decode()
    assert by_average.index('data-model="org/a"') < by_average.index('data-model="org/b"')
    by_subject = client.get(f"/leaderboards/{demo.slug}/", {"subject": "Pharmacology"}).content.decode()
    assert by_subject.index('data-model="org/b"') < by_subject.index('data-model="org/a"')


def test_ranking_refresh_fills_what_older_entries_lack(suites):
    demo = suites["demo-medical"]
    ranked(demo, "org/a", 0.7)
    ranked(demo, "org/b", 0.4)
    LeaderboardEntry.objects.update(
        ci_low=[], ci_high=[], se=[], average_ci_low=None, average_ci_high=None, rank_best=None, rank_worst=None
    )
    call_command("ranking_refresh", stdout=io.StringIO())
    assert [e.rank_band for e in LeaderboardEntry.objects.order_by("-average")] == [[1, 1], [2, 2]]
    assert LeaderboardEntry.objects.filter(average_ci_low__isnull=True).count() == 0
