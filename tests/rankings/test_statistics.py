"""The statistics of rankings.statistics against independent oracles: scipy and simulation."""

import itertools

import numpy as np
import pytest
from scipy import stats

from rankings.statistics import (
    PairedCounts,
    average_interval,
    binomial_variance,
    fair_coin_counts,
    mcnemar_exact,
    paired_average,
    paired_task,
    rank_bands,
    unpaired_difference,
    wilson_interval,
)


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (57, 100), (2300, 4183), (999, 1000)])
def test_the_wilson_interval_is_scipys(k, n):
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((expected.low, expected.high), abs=1e-9)


@pytest.mark.parametrize("n", [100, 1000])
def test_the_task_interval_covers_the_true_accuracy_about_95_percent_of_the_time(n):
    rng = np.random.default_rng(n)
    truths = rng.uniform(0.25, 0.9, size=2000)
    correct = rng.binomial(n, truths)
    covered = sum(
        low <= p <= high for p, (low, high) in zip(truths, (wilson_interval(k, n) for k in correct), strict=True)
    )
    assert 0.93 <= covered / 2000 <= 0.97


def test_the_average_interval_covers_the_true_average_about_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    sizes = np.array([100, 272, 1089, 4183, 500])
    hits = 0
    for _ in range(2000):
        truths = rng.uniform(0.3, 0.8, size=len(sizes))
        scores = rng.binomial(sizes, truths) / sizes
        low, high = average_interval([(s, binomial_variance(s, n)) for s, n in zip(scores, sizes, strict=False)])
        hits += low <= truths.mean() <= high
    assert 0.93 <= hits / 2000 <= 0.97


@pytest.mark.parametrize("only_a,only_b", [(0, 0), (1, 0), (5, 9), (400, 350), (30, 31), (0, 12)])
def test_mcnemar_is_scipys_exact_binomial_test(only_a, only_b):
    expected = 1.0 if only_a + only_b == 0 else stats.binomtest(only_a, only_a + only_b, 0.5).pvalue
    assert mcnemar_exact(only_a, only_b) == pytest.approx(expected, rel=1e-9)
    assert paired_task(PairedCounts(1000, 500, 500, only_a, only_b))["p_value"] == pytest.approx(expected, rel=1e-9)


def test_rank_bands_follow_the_rule_on_a_ranking_with_known_ties():
    intervals = [(0.70, 0.80), (0.68, 0.78), (0.50, 0.60), (0.55, 0.65), (0.20, 0.30)]
    # by hand: the first two overlap each other only; 3 and 4 overlap each other; the last is alone
    assert rank_bands(intervals) == [(1, 2), (1, 2), (3, 4), (3, 4), (5, 5)]
    brute = [
        (1 + sum(lo > hi for lo, _ in intervals), len(intervals) - sum(h < lo for _, h in intervals))
        for lo, hi in intervals
    ]
    assert rank_bands(intervals) == brute


def test_the_average_p_value_matches_an_exhaustive_sign_flip_test():
    tasks = [PairedCounts(6, 4, 2, 3, 1), PairedCounts(4, 3, 1, 2, 0)]
    # the differences of the discordant questions, weighted 1/(T n_t); enumerate every sign flip
    weights = [1 / (2 * 6)] * 4 + [1 / (2 * 4)] * 2
    observed = abs(sum(t.diff for t in tasks) / 2)
    flips = [sum(s * w for s, w in zip(signs, weights, strict=True)) for signs in itertools.product((1, -1), repeat=6)]
    exact = sum(abs(f) >= observed - 1e-12 for f in flips) / len(flips)
    result = paired_average(tasks, permutations=200_000)
    assert result["p_value"] == pytest.approx(exact, abs=0.01)
    assert result["diff"] == pytest.approx(observed)


@pytest.mark.parametrize("coins", [1, 7, 64, 65, 300, 1023, 5000])  # one word, a full word, past it, the sampler
def test_fair_coin_counts_are_binomial(coins):
    counts = fair_coin_counts(np.random.default_rng(7), np.array([coins, 0]), 20_000)
    assert (counts[:, 1] == 0).all()
    # chi-square goodness of fit against scipy's binomial, on bins of at least 5 expected draws each
    values = np.arange(coins + 1)
    expected = stats.binom.pmf(values, coins, 0.5) * len(counts)
    observed = np.bincount(counts[:, 0], minlength=coins + 1)
    keep = expected >= 5
    f_obs = np.append(observed[keep], observed[~keep].sum())
    f_exp = np.append(expected[keep], expected[~keep].sum())
    if f_exp[-1] < 5:  # the far tails together: folded into the nearest kept bin
        f_obs, f_exp = f_obs[:-1], f_exp[:-1]
        f_obs[-1] += observed[~keep].sum()
        f_exp[-1] += expected[~keep].sum()
    assert stats.chisquare(f_obs, f_exp * f_obs.sum() / f_exp.sum()).pvalue > 0.001


def test_paired_differences_have_a_normal_interval_from_their_variance():
    counts = PairedCounts(n=4183, a_correct=2300, b_correct=2250, only_a=400, only_b=350)
    d = np.array([1] * 400 + [-1] * 350 + [0] * (4183 - 750))
    task = paired_task(counts)
    half = 1.959963984540054 * d.std(ddof=0) / np.sqrt(len(d))
    assert task["diff"] == pytest.approx(d.mean())
    assert task["diff_ci"] == pytest.approx([d.mean() - half, d.mean() + half])


def test_unpaired_difference_matches_scipys_normal_test():
    diff, variance = 0.031, 0.0004
    found = unpaired_difference(diff, variance)
    assert found["p_value"] == pytest.approx(2 * stats.norm.sf(diff / variance**0.5))
    assert found["diff_ci"] == pytest.approx(list(stats.norm.interval(0.95, loc=diff, scale=variance**0.5)))
