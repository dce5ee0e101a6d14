"""The uncertainty of scores and of differences between models; pure functions, no database.

- A task's accuracy k/n gets a Wilson score interval: unlike the normal ("Wald") interval it stays
  inside [0, 1] and keeps close to its nominal 95% coverage at the small n of some medical subsets
  (MMLU medical genetics has 100 questions).
- The average over a suite's tasks gets a normal interval whose variance is the sum of the tasks'
  binomial variances over T² (the tasks are independent question sets: the delta method).
- Imported rows, which have no samples, use the stderr lm-eval reported: score ± 1.96 stderr.
- A subject of a task's breakdown (MedMCQA's Pharmacology, Anatomy, ...) gets a Wilson interval too.
- Rank bands follow Chatbot Arena: best rank = 1 + the models whose low end beats this one's high end,
  worst rank = N - the models whose high end is below this one's low end.
- Two models on the same questions are compared paired: per task the exact two-sided McNemar test on
  the questions only one of them answered right; for the average, the difference of the task means
  with a normal interval from the paired differences' variance and a sign-flip permutation test
  (under "no difference" each discordant question is equally likely to favour either model).
- Where a model has no samples (an imported row), a comparison cannot be paired: the difference of the scores
  gets a normal interval from both stderrs (unpaired: wider than a paired one) and a two-sided z-test.
"""

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054
PERMUTATIONS = 20_000
SEED = 20261130


def wilson_interval(correct: float, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``correct``/``n`` (``correct`` may be fractional)."""
    if n <= 0:
        return (0.0, 1.0)
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def stderr_interval(score: float, stderr: float | None, z: float = Z95) -> tuple[float, float] | None:
    """score ± z·stderr clipped to [0, 1]; None without a stderr."""
    if stderr is None or math.isnan(stderr):
        return None
    return (max(0.0, score - z * stderr), min(1.0, score + z * stderr))


def score_interval(score: float, *, n: int | None, stderr: float | None) -> tuple[float, float, float] | None:
    """(low, high, standard error) of a task score: Wilson on ``n`` questions where n is known, else
    score ± z·stderr; None with neither."""
    if n:
        low, high = wilson_interval(score * n, n)
        return low, high, math.sqrt(binomial_variance(score, n))
    interval = stderr_interval(score, stderr)
    return None if interval is None else (*interval, stderr)


def average_interval(parts: list[tuple[float, float]], z: float = Z95) -> tuple[float, float] | None:
    """The interval of the mean of independent task scores, each given as (score, variance)."""
    if not parts:
        return None
    mean = sum(score for score, _ in parts) / len(parts)
    half = z * math.sqrt(sum(variance for _, variance in parts)) / len(parts)
    return (max(0.0, mean - half), min(1.0, mean + half))


def binomial_variance(score: float, n: int) -> float:
    return score * (1 - score) / n if n > 0 else 0.25


def rank_bands(intervals: list[tuple[float, float]]) -> list[tuple[int, int]]:
    """(best, worst) rank of each model from the intervals of their averages (Chatbot Arena's rule)."""
    lows = np.sort(np.array([low for low, _ in intervals]))
    highs = np.sort(np.array([high for _, high in intervals]))
    n = len(intervals)
    bands = []
    for low, high in intervals:
        above = n - int(np.searchsorted(lows, high, side="right"))  # models with low(m) > high(this)
        below = int(np.searchsorted(highs, low, side="left"))  # models with high(m) < low(this)
        bands.append((1 + above, n - below))
    return bands


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value: a binomial test of only_a out of only_a + only_b at 1/2."""
    m = only_a + only_b
    if m == 0:
        return 1.0
    k = min(only_a, only_b)
    # P(X <= k) for X ~ Bin(m, 1/2), doubled (the distribution is symmetric), capped at 1
    tail = sum(math.comb(m, i) for i in range(k + 1)) / 2**m
    return min(1.0, 2 * tail)


@dataclass(frozen=True)
class PairedCounts:
    """Two models on the questions both answered in one task."""

    n: int
    a_correct: int
    b_correct: int
    only_a: int
    only_b: int

    @property
    def diff(self) -> float:
        return (self.only_a - self.only_b) / self.n if self.n else 0.0

    @property
    def diff_variance(self) -> float:
        """Variance of the mean paired difference (each question's difference is -1, 0 or 1)."""
        if not self.n:
            return 0.0
        return ((self.only_a + self.only_b) / self.n - self.diff**2) / self.n


def paired_task(counts: PairedCounts) -> dict:
    half = Z95 * math.sqrt(counts.diff_variance)
    return {
        "n": counts.n,
        "a_correct": counts.a_correct,
        "b_correct": counts.b_correct,
        "only_a": counts.only_a,
        "only_b": counts.only_b,
        "diff": counts.diff,
        "diff_ci": [counts.diff - half, counts.diff + half],
        "p_value": mcnemar_exact(counts.only_a, counts.only_b),
    }


POPCOUNT_WORDS = 16  # up to 1,024 coins a task: counted from random bits; more: numpy's binomial sampler


def fair_coin_counts(rng: np.random.Generator, coins: np.ndarray, draws: int) -> np.ndarray:
    """``draws`` rows of, per task, how many of its ``coins[t]`` fair coins came up heads: binomial(coins[t], ½).
    Each coin is one random bit, so a count is the popcount of that many bits: 2.5 to 5 times faster than numpy's
    binomial sampler at a suite's numbers of discordant questions. Beyond POPCOUNT_WORDS words a task uses the
    sampler, which keeps the memory bounded."""
    counts = np.empty((draws, len(coins)), dtype=np.int64)
    for task, m in enumerate(coins):
        words, rest = divmod(int(m), 64)
        if words >= POPCOUNT_WORDS:
            counts[:, task] = rng.binomial(m, 0.5, size=draws)
            continue
        bits = rng.bit_generator.random_raw((draws, words + (rest > 0)))
        if rest:
            bits[:, -1] &= np.uint64((1 << rest) - 1)
        counts[:, task] = np.bitwise_count(bits).sum(axis=1)
    return counts


def paired_average(tasks: list[PairedCounts], *, permutations: int = PERMUTATIONS) -> dict:
    """The difference of the task-mean accuracies, its 95% interval, and the sign-flip permutation
    p-value. Flipping the signs of the discordant questions of task t at random makes the number that
    favour a binomial(m_t, 1/2): the test draws those counts instead of flipping question by question."""
    tasks = [t for t in tasks if t.n]
    if not tasks:
        return {"diff": None, "diff_ci": None, "p_value": None, "method": "sign-flip permutation"}
    count = len(tasks)
    diff = sum(t.diff for t in tasks) / count
    half = Z95 * math.sqrt(sum(t.diff_variance for t in tasks)) / count
    weights = np.array([1 / (count * t.n) for t in tasks])
    discordant = np.array([t.only_a + t.only_b for t in tasks])
    favour_a = fair_coin_counts(np.random.default_rng(SEED), discordant, permutations)
    null = ((2 * favour_a - discordant) * weights).sum(axis=1)
    observed = abs(diff) - 1e-12  # ties count as extreme
    p_value = (1 + int((np.abs(null) >= observed).sum())) / (permutations + 1)
    return {
        "diff": diff,
        "diff_ci": [diff - half, diff + half],
        "p_value": min(1.0, p_value),
        "method": "sign-flip permutation",
    }


def unpaired_difference(diff: float, variance: float) -> dict:
    """A difference of two independent scores (``variance``: the sum of both variances): a normal 95% interval and
    the two-sided z-test's p-value. For models without samples, which cannot be paired."""
    se = math.sqrt(variance)
    p_value = math.erfc(abs(diff) / se / math.sqrt(2)) if se > 0 else float(diff == 0)
    return {
        "diff": diff,
        "diff_ci": [diff - Z95 * se, diff + Z95 * se],
        "p_value": p_value,
        "method": "unpaired z-test",
    }


def paired_difference(differences: list[float], z: float = Z95) -> dict | None:
    """The mean of per-question differences (e.g. generative minus log-likelihood correctness, each 0 or 1)
    with a normal 95% interval from their sample variance: the paired "format gap"."""
    n = len(differences)
    if n < 2:
        return None
    values = np.asarray(differences, dtype=float)
    mean = float(values.mean())
    half = z * float(values.std(ddof=1)) / math.sqrt(n)
    return {"diff": mean, "ci": [mean - half, mean + half], "n": n}
