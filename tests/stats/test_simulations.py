"""Simulations with a known truth: error rates and coverage of the whole pipeline of formulas.

Marked ``slow`` (CI runs them too). Data are generated per user and reduced to the same sufficient
statistics the SQL produces, for thousands of experiments at once with numpy; only ``compare`` runs in a
Python loop. We run 4,000 experiments where the brief asks for 1,000, so that a correct method lands in
the 5 +/- 1.5 % band with a wide margin (binomial sd 0.34 points instead of 0.69: the band is ~4 sd, so
a failure means a real miscalibration, not bad luck of the seed).
"""

from __future__ import annotations

import numpy as np
import pytest

from pipelines.stats import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    compare,
    confidence_sequence,
    sample_ratio_check,
)

pytestmark = pytest.mark.slow

N_EXPERIMENTS = 4_000
USERS_PER_ARM = 400
GEOMETRIC_P = 0.25  # posts per user ~ Geometric (mean (1 - p) / p = 3), heavily skewed


def _sums(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-experiment, per-arm sum and sum of squares over the last axis (users)."""
    return values.sum(axis=-1), (values * values).sum(axis=-1)


def _ratio_experiments(
    rng: np.random.Generator, rates: tuple[float, float], attempts
) -> list[tuple[RatioStatistic, ...]]:
    arms = []
    for rate in rates:
        m, d = attempts(rng, N_EXPERIMENTS * USERS_PER_ARM, rate=rate)
        m, d = m.reshape(N_EXPERIMENTS, USERS_PER_ARM), d.reshape(N_EXPERIMENTS, USERS_PER_ARM)
        m_sum, m_sq = _sums(m)
        d_sum, d_sq = _sums(d)
        md = (m * d).sum(axis=-1)
        rows = zip(m_sum, m_sq, d_sum, d_sq, md, strict=True)
        arms.append([RatioStatistic(USERS_PER_ARM, *row) for row in rows])
    return list(zip(*arms, strict=True))


def _mean_experiments(
    rng: np.random.Generator, means: tuple[float, float]
) -> list[tuple[SampleMeanStatistic, ...]]:
    arms = []
    for mean in means:
        p = 1.0 / (1.0 + mean)  # numpy's negative_binomial(1, p) counts failures: mean (1 - p) / p
        x = rng.negative_binomial(1, p, size=(N_EXPERIMENTS, USERS_PER_ARM)).astype(float)
        total, squares = _sums(x)
        arms.append([SampleMeanStatistic(USERS_PER_ARM, s, q) for s, q in zip(total, squares, strict=True)])
    return list(zip(*arms, strict=True))


def _proportion_experiments(
    rng: np.random.Generator, rates: tuple[float, float], n: int = 500
) -> list[tuple[ProportionStatistic, ...]]:
    successes = [rng.binomial(n, rate, size=N_EXPERIMENTS) for rate in rates]
    return [(ProportionStatistic(n, c), ProportionStatistic(n, v)) for c, v in zip(*successes, strict=True)]


def _cuped_experiments(
    rng: np.random.Generator, effects: tuple[float, float]
) -> list[tuple[RegressionAdjustedStatistic, ...]]:
    arms = []
    for effect in effects:
        activity = rng.gamma(1.5, 2.0, size=(N_EXPERIMENTS, USERS_PER_ARM))
        pre = rng.poisson(activity).astype(float)
        post = rng.poisson(activity * (1.0 + effect)).astype(float)
        y, yy = _sums(post)
        x, xx = _sums(pre)
        xy = (post * pre).sum(axis=-1)
        arms.append(
            [RegressionAdjustedStatistic(USERS_PER_ARM, *row) for row in zip(y, yy, x, xx, xy, strict=True)]
        )
    return list(zip(*arms, strict=True))


def _false_positive_rate(experiments, method_prefix: str) -> float:
    results = [compare(c, v) for c, v in experiments]
    assert all(r.method.startswith(method_prefix) for r in results)
    return float(np.mean([r.p_value < 0.05 for r in results]))


def _coverage(experiments, truth: float) -> float:
    results = [compare(c, v) for c, v in experiments]
    return float(np.mean([r.ci_low <= truth <= r.ci_high for r in results]))


# --- A/A false-positive rate --------------------------------------------------------------------------------


def test_aa_false_positive_rate_of_delta_method_ratio_on_clustered_attempts_is_nominal(rng, attempts):
    rate = _false_positive_rate(_ratio_experiments(rng, (0.6, 0.6), attempts), "delta_method")
    assert 0.035 <= rate <= 0.065, rate


def test_aa_false_positive_rate_of_proportion_z_test_is_nominal(rng):
    rate = _false_positive_rate(_proportion_experiments(rng, (0.3, 0.3)), "z_test")
    assert 0.035 <= rate <= 0.065, rate


def test_aa_false_positive_rate_of_welch_on_skewed_counts_is_nominal(rng):
    rate = _false_positive_rate(_mean_experiments(rng, (3.0, 3.0)), "welch_t")
    assert 0.035 <= rate <= 0.065, rate


def test_aa_false_positive_rate_of_cuped_is_nominal(rng):
    rate = _false_positive_rate(_cuped_experiments(rng, (0.0, 0.0)), "cuped_welch_t")
    assert 0.035 <= rate <= 0.065, rate


def test_aa_fisher_exact_with_rare_events_never_exceeds_nominal(rng):
    rate = _false_positive_rate(_proportion_experiments(rng, (0.01, 0.01), n=300), "fisher_exact")
    assert rate <= 0.05, rate


def test_attempt_level_binomial_test_would_inflate_false_positives_on_the_same_data(rng, attempts):
    """Why the delta method: treating clustered attempts as independent over-rejects."""
    experiments = _ratio_experiments(rng, (0.6, 0.6), attempts)
    naive = [
        compare(ProportionStatistic(round(c.d_sum), c.m_sum), ProportionStatistic(round(v.d_sum), v.m_sum))
        for c, v in experiments
    ]
    assert float(np.mean([r.p_value < 0.05 for r in naive])) > 0.10


# --- coverage under a real effect ---------------------------------------------------------------------------


def test_delta_method_interval_covers_true_ratio_difference_95_percent(rng, attempts):
    coverage = _coverage(_ratio_experiments(rng, (0.55, 0.62), attempts), truth=0.62 - 0.55)
    assert 0.935 <= coverage <= 0.965, coverage


def test_z_interval_covers_true_proportion_difference_95_percent(rng):
    coverage = _coverage(_proportion_experiments(rng, (0.30, 0.34)), truth=0.04)
    assert 0.935 <= coverage <= 0.965, coverage


def test_welch_interval_covers_true_mean_difference_95_percent(rng):
    coverage = _coverage(_mean_experiments(rng, (3.0, 3.4)), truth=0.4)
    assert 0.935 <= coverage <= 0.965, coverage


def test_cuped_interval_covers_true_mean_difference_95_percent(rng):
    # post ~ Poisson(activity * (1 + effect)), E[activity] = 1.5 * 2 = 3
    coverage = _coverage(_cuped_experiments(rng, (0.0, 0.1)), truth=0.1 * 3.0)
    assert 0.935 <= coverage <= 0.965, coverage


# --- sequential monitoring ----------------------------------------------------------------------------------

DAYS = 60
DAILY_USERS_PER_ARM = 50
N_SEQUENTIAL = 1_000


def _daily_aa_looks(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cumulative Welch diff and se at each daily look of ``N_SEQUENTIAL`` A/A experiments."""
    stats = []
    for _arm in range(2):
        x = rng.exponential(2.0, size=(N_SEQUENTIAL, DAYS, DAILY_USERS_PER_ARM))
        total, squares = _sums(x)
        n = DAILY_USERS_PER_ARM * np.arange(1, DAYS + 1)
        cum_sum, cum_sq = total.cumsum(axis=1), squares.cumsum(axis=1)
        mean = cum_sum / n
        var = (cum_sq - cum_sum**2 / n) / (n - 1)
        stats.append((mean, var / n))
    (mean_c, var_c), (mean_v, var_v) = stats
    return mean_v - mean_c, np.sqrt(var_c + var_v), 2 * DAILY_USERS_PER_ARM * np.arange(1, DAYS + 1)


def test_confidence_sequence_with_60_daily_looks_keeps_aa_false_positives_below_5_percent(rng):
    diff, se, n_total = _daily_aa_looks(rng)
    ever_excludes_zero = np.zeros(N_SEQUENTIAL, dtype=bool)
    for day in range(DAYS):
        n = int(n_total[day])
        for i in range(N_SEQUENTIAL):
            low, high = confidence_sequence(float(diff[i, day]), float(se[i, day]), n, tuning_n=6_000)
            ever_excludes_zero[i] |= low > 0 or high < 0
    assert ever_excludes_zero.mean() <= 0.05, ever_excludes_zero.mean()


def test_peeking_at_fixed_horizon_intervals_daily_inflates_false_positives(rng):
    """The contrast that motivates the confidence sequence: same data, naive daily 95 % intervals."""
    diff, se, _ = _daily_aa_looks(rng)
    ever = (np.abs(diff / se) > 1.959964).any(axis=1)
    assert ever.mean() > 0.15, ever.mean()


# --- sample-ratio mismatch ----------------------------------------------------------------------------------

PLAN = {"control": 0.5, "soft": 0.25, "firm": 0.25}


def test_srm_detects_ten_percent_loss_of_one_arms_assignments(rng):
    counts = rng.multinomial(20_000, list(PLAN.values()), size=1_000)
    counts[:, 1] = rng.binomial(counts[:, 1], 0.9)  # 10 % of "soft" assignments never logged
    detected = [not sample_ratio_check(dict(zip(PLAN, row, strict=True)), PLAN).passed for row in counts]
    assert np.mean(detected) >= 0.99, np.mean(detected)


def test_srm_passes_correct_splits_at_roughly_the_nominal_rate(rng):
    counts = rng.multinomial(20_000, list(PLAN.values()), size=10_000)
    p_values = np.array(
        [sample_ratio_check(dict(zip(PLAN, row, strict=True)), PLAN).p_value for row in counts]
    )
    assert np.mean(p_values < 0.001) <= 0.003  # nominal 0.1 %
    assert 0.04 <= np.mean(p_values < 0.05) <= 0.06  # the p-value is calibrated, not just small
