"""Intervals, rank bands, comparable rows and paired comparisons, through the real refresh path and pages."""

import csv
import io
import random

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from evaluation.models import RunStatus, SampleLog, SubjectResult
from leaderboard.models import Flag, FlagStatus, LeaderboardEntry
from leaderboard.services import entries_refresh_model, entry_refresh, reference_save
from leaderboard.statistics import Z95, mcnemar_exact, wilson_interval
from tests.factories import EvalRunFactory, SampleLogFactory, TaskResultFactory

pytestmark = pytest.mark.django_db


def ranked(suite, model_id, score, *, n=100, num_fewshot=None, imported=False, stderr=0.02):
    """A finished run scoring ``score`` on every task of ``suite`` over ``n`` questions, ranked by entry_refresh."""
    run = EvalRunFactory(
        status=RunStatus.FINISHED,
        submission__user=None,
        submission__model_id=model_id,
        submission__suite=suite,
        submission__imported=imported,
    )
    for t in suite.tasks.all():
        TaskResultFactory(
            run=run,
            task=t.task,
            metric=t.metric,
            metric_filter=t.metric_filter,
            value=score,
            stderr=stderr,
            n_samples=n,
            num_fewshot=t.num_fewshot if num_fewshot is None else num_fewshot,
        )
    return entry_refresh(run)


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
