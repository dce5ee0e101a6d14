"""The format gap: a model's generative minus its log-likelihood accuracy per dataset, paired by question."""

import numpy as np
import pytest
from scipy import stats

from model_pages.selectors import model_rankings
from rankings.format_gap import entries_format_gap_refresh, format_gaps
from rankings.models import LeaderboardEntry
from rankings.numbers import points
from rankings.statistics import paired_difference
from tests.comparisons.test_compare import direct_counts
from tests.factories import SampleLogFactory
from tests.ranked import rank_model, ranked, uniform


@pytest.mark.parametrize(("n", "seed"), [(12, 1), (100, 2), (1273, 3)])
def test_the_paired_interval_is_scipys_normal_interval_of_the_mean_difference(n, seed):
    rng = np.random.default_rng(seed)
    mc, gen = rng.integers(0, 2, n), rng.integers(0, 2, n)
    differences = gen - mc
    gap = paired_difference(list(differences))
    low, high = stats.norm.interval(0.95, loc=differences.mean(), scale=stats.sem(differences))
    assert gap["n"] == n and gap["diff"] == pytest.approx(differences.mean(), abs=1e-12)
    assert gap["ci"] == pytest.approx([low, high], abs=1e-12)
    assert paired_difference([1.0]) is None


def test_the_paired_interval_covers_the_true_gap_95_times_in_100():
    """Correlated answers (a question hard for one scoring is hard for the other), simulated."""
    rng = np.random.default_rng(20261204)
    n, trials, covered = 300, 2000, 0
    difficulty = rng.uniform(0, 1, n)
    p_mc, p_gen = 0.2 + 0.5 * difficulty, 0.3 + 0.5 * difficulty
    true_gap = float((p_gen - p_mc).mean())
    for _ in range(trials):
        shared = rng.uniform(0, 1, n)
        mc = (shared < p_mc).astype(float)
        gen = (np.where(rng.uniform(0, 1, n) < 0.5, shared, rng.uniform(0, 1, n)) < p_gen).astype(float)
        low, high = paired_difference(list(gen - mc))["ci"]
        covered += low <= true_gap <= high
    assert 0.93 <= covered / trials <= 0.97


def both_scorings(suites, model_id, mc: dict, gen: dict, task="demo_medmcqa"):
    """``model_id`` ranked on both demo suites, with samples of ``task``: {doc hash: correct} of each scoring."""
    mc_entry = rank_model(suites["demo-medical"], model_id, uniform(suites["demo-medical"], 0.5))
    gen_entry = rank_model(suites["demo-medical-generative"], model_id, uniform(suites["demo-medical-generative"], 0.6))
    log_both(mc_entry, gen_entry, mc, gen, task)
    return mc_entry, gen_entry


def log_both(mc_entry, gen_entry, mc: dict, gen: dict, task: str):
    for doc_id, (doc_hash, value) in enumerate(mc.items()):
        SampleLogFactory(run=mc_entry.run, task=task, doc_id=doc_id, doc_hash=doc_hash, metrics={"acc": value})
    for doc_id, (doc_hash, value) in enumerate(gen.items()):
        for metric_filter, metric in (("strict-match", value), ("flexible-extract", 1.0)):
            SampleLogFactory(
                run=gen_entry.run,
                task=f"{task}_generative",
                filter=metric_filter,
                doc_id=doc_id,
                doc_hash=doc_hash,
                metrics={"exact_match": metric},
            )


def test_the_model_page_sets_both_scorings_side_by_side(client, suites):
    model_id = "org/chatty"
    # MedMCQA: questions q0..q9 by log-likelihood, q2..q11 generated; q2..q9 both.
    mc = {f"q{i}": float(i % 2) for i in range(10)}
    gen = {f"q{i}": float(i % 3 != 0) for i in range(2, 12)}
    both_scorings(suites, model_id, mc, gen)

    [gap] = format_gaps([(r.entry.run_id, [s.suite_task for s in r.scores]) for r in model_rankings(model_id)])
    both = sorted(mc.keys() & gen.keys())
    differences = np.array([gen[q] - mc[q] for q in both])
    assert gap.name == "MedMCQA" and gap.gap["n"] == len(both) == 8
    assert gap.multiple_choice == pytest.approx(0.5) and gap.generative == pytest.approx(np.mean(list(gen.values())))
    assert gap.gap["diff"] == pytest.approx(differences.mean())
    low, high = stats.norm.interval(0.95, loc=differences.mean(), scale=stats.sem(differences))
    assert gap.gap["ci"] == pytest.approx([low, high])

    page = client.get(f"/models/{model_id}/").content.decode()
    assert "Both scorings side by side" in page and points(differences.mean()) in page


def test_the_rankings_format_gap_column_is_the_mean_of_the_datasets_gaps(client, suites):
    """Two datasets: the column is the mean of their paired gaps, its interval the normal one of that mean (their
    questions are disjoint: the variances add), computed here from the questions with scipy; on both suites'
    entries of the model, in the ranking's optional column, its CSV and the API; not on another model's."""
    rng = np.random.default_rng(7)
    datasets = {
        "demo_medmcqa": (30, 0.4, 0.6),
        "demo_medqa_4options": (50, 0.5, 0.45),
    }
    logged = {}
    for task, (n, p_mc, p_gen) in datasets.items():
        logged[task] = (
            {f"{task}-{i}": float(rng.random() < p_mc) for i in range(n)},
            {f"{task}-{i}": float(rng.random() < p_gen) for i in range(n)},
        )
    mc_entry, gen_entry = both_scorings(suites, "org/chatty", *logged["demo_medmcqa"])
    log_both(mc_entry, gen_entry, *logged["demo_medqa_4options"], task="demo_medqa_4options")
    other = rank_model(suites["demo-medical"], "org/plain", uniform(suites["demo-medical"], 0.4))
    entries_format_gap_refresh(gen_entry)

    differences = [np.array([gen[q] - mc[q] for q in mc]) for mc, gen in logged.values()]
    mean = np.mean([d.mean() for d in differences])
    scale = np.sqrt(sum(stats.sem(d) ** 2 for d in differences)) / len(differences)
    low, high = stats.norm.interval(0.95, loc=mean, scale=scale)
    for entry in (mc_entry, gen_entry):
        entry.refresh_from_db()
        assert entry.format_gap == pytest.approx(mean, abs=1e-12)
        assert entry.format_gap_ci == pytest.approx([low, high], abs=1e-12)
    assert LeaderboardEntry.objects.get(pk=other.pk).format_gap is None

    page = client.get("/leaderboards/demo-medical/", {"cols": ["precision", "format_gap"]}).content.decode()
    assert "Format gap</a></th>" in page and f"{points(mean)} <small" in page
    assert "Format gap</a></th>" not in client.get("/leaderboards/demo-medical/").content.decode()  # optional
    csv = client.get("/leaderboards/demo-medical/ranking.csv", {"cols": ["format_gap"]}).content.decode()
    assert csv.splitlines()[0].count("Format gap") == 1 and str(mean)[:8] in csv
    rows = client.get("/api/leaderboard/demo-medical-generative/").json()["rows"]
    [row] = [r for r in rows if r["model"] == "org/chatty"]
    assert row["format_gap"] == pytest.approx(mean) and row["format_gap_ci"] == pytest.approx([low, high])


def test_compare_pairs_generative_tasks_by_question_on_the_ranking_filter(client, suites):
    generative = suites["demo-medical-generative"]
    a, b = ranked(generative, "org/ga", 0.6), ranked(generative, "org/gb", 0.5)
    rng = np.random.default_rng(5)
    for t in generative.tasks.all():
        for run in (a.run, b.run):
            for doc_id in range(20):
                for metric_filter in ("strict-match", "flexible-extract"):
                    SampleLogFactory(
                        run=run,
                        task=t.task,
                        filter=metric_filter,
                        doc_id=doc_id,
                        doc_hash=f"h{doc_id}",
                        metrics={"exact_match": float(rng.random() < 0.5)},
                    )
    [pair] = client.get(f"/api/compare/{generative.slug}/", {"models": "org/ga,org/gb"}).json()["comparisons"]
    for t in generative.tasks.all():
        expected = direct_counts(a.run, b.run, t)  # over strict-match, the suite's filter
        assert {key: pair["tasks"][t.task][key] for key in expected} == expected and expected["n"] == 20
