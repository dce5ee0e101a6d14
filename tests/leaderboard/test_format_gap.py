"""The format gap: a model's generative minus its log-likelihood accuracy per dataset, paired by question."""

import numpy as np
import pytest
from scipy import stats

from leaderboard.format_gap import format_gaps
from leaderboard.selectors import model_rankings
from leaderboard.statistics import paired_difference
from tests.factories import SampleLogFactory
from tests.leaderboard.conftest import rank_model, uniform
from tests.leaderboard.test_intervals_compare import direct_counts, ranked


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


def test_the_model_page_sets_both_scorings_side_by_side(client, suites):
    model_id = "org/chatty"
    mc_entry = rank_model(suites["demo-medical"], model_id, uniform(suites["demo-medical"], 0.5))
    gen_entry = rank_model(suites["demo-medical-generative"], model_id, uniform(suites["demo-medical-generative"], 0.6))
    # MedMCQA: questions q0..q9 by log-likelihood, q2..q11 generated; q2..q9 both.
    mc = {f"q{i}": float(i % 2) for i in range(10)}
    gen = {f"q{i}": float(i % 3 != 0) for i in range(2, 12)}
    for doc_id, (doc_hash, value) in enumerate(mc.items()):
        SampleLogFactory(
            run=mc_entry.run, task="demo_medmcqa", doc_id=doc_id, doc_hash=doc_hash, metrics={"acc": value}
        )
    for doc_id, (doc_hash, value) in enumerate(gen.items()):
        for metric_filter, metric in (("strict-match", value), ("flexible-extract", 1.0)):
            SampleLogFactory(
                run=gen_entry.run,
                task="demo_medmcqa_generative",
                filter=metric_filter,
                doc_id=doc_id,
                doc_hash=doc_hash,
                metrics={"exact_match": metric},
            )

    [gap] = format_gaps(model_rankings(model_id))
    both = sorted(mc.keys() & gen.keys())
    differences = np.array([gen[q] - mc[q] for q in both])
    assert gap.name == "MedMCQA" and gap.gap["n"] == len(both) == 8
    assert gap.multiple_choice == pytest.approx(0.5) and gap.generative == pytest.approx(np.mean(list(gen.values())))
    assert gap.gap["diff"] == pytest.approx(differences.mean())
    low, high = stats.norm.interval(0.95, loc=differences.mean(), scale=stats.sem(differences))
    assert gap.gap["ci"] == pytest.approx([low, high])

    page = client.get(f"/models/{model_id}/").content.decode()
    assert "Both scorings side by side" in page and f"{differences.mean():.4f}" in page


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
