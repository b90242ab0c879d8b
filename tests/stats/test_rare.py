"""The rule for too little information (pipelines.stats.rare): which test runs, and that each agrees with an
independent implementation (statsmodels, scipy, the textbook formula)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats import rates

from pipelines.stats import (
    MIN_EVENTS,
    RatioStatistic,
    compare,
    compare_counts,
    mixture_p_value,
    poisson_exact,
)
from tests.stats.conftest import cuped_stat, mean_stat, ratio_stat


def _rate(events: list[int], posts: list[int]) -> RatioStatistic:
    return ratio_stat(np.array(events, dtype=float), np.array(posts, dtype=float))


def _users(n: int, events: int, posts: int = 15, per_user: int = 1) -> RatioStatistic:
    """n users with `posts` posts each; `events` events spread `per_user` to a user."""
    m = np.zeros(n)
    m[: events // per_user] = per_user
    return ratio_stat(m, np.full(n, float(posts)))


def test_zero_event_arm_against_a_handful_is_tested_exactly_and_not_significant():
    control, variant = _users(9_000, 4), _users(4_500, 0)
    naive = compare(control, variant)
    assert naive.p_value < 0.05  # the failure this rule exists for: SE from one arm only
    est = compare_counts(control, variant, counts="rate")
    assert est.method == "poisson_exact"
    assert est.p_value > 0.25  # 4 vs 0 with 2:1 exposure: (2/3)^4 = 0.20 on one side alone
    assert est.ci_low < 0 < est.ci_high


def test_poisson_exact_p_value_is_the_conditional_binomial_test_of_statsmodels():
    control, variant = _users(9_481, 10), _users(4_723, 3)
    est = poisson_exact(control, variant)
    ref = rates.test_poisson_2indep(3, variant.d_sum, 10, control.d_sum, method="exact-cond")
    assert est.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_poisson_exact_difference_interval_is_mover_with_exact_poisson_limits():
    control, variant = _users(9_481, 10), _users(4_723, 3)
    est = poisson_exact(control, variant)
    low, high = rates.confint_poisson_2indep(3, variant.d_sum, 10, control.d_sum, method="mover", compare="diff",
                                             method_mover="exact-c")
    assert (est.ci_low, est.ci_high) == pytest.approx((low, high), rel=1e-9)


def test_poisson_exact_rate_ratio_interval_is_clopper_pearson_on_the_variant_share():
    control, variant = _users(2_000, 7), _users(1_000, 2)
    est = poisson_exact(control, variant)
    # Clopper-Pearson from the beta quantiles, mapped to the rate ratio pi / (1 - pi) * E_c / E_v
    k, n = 2, 9
    lo, hi = stats.beta.ppf(0.025, k, n - k + 1), stats.beta.ppf(0.975, k + 1, n - k)
    scale = control.d_sum / variant.d_sum
    assert est.rel_ci_low == pytest.approx(lo / (1 - lo) * scale - 1, rel=1e-9)
    assert est.rel_ci_high == pytest.approx(hi / (1 - hi) * scale - 1, rel=1e-9)
    assert est.rel_ci_low < est.rel_diff < est.rel_ci_high


def test_no_relative_interval_when_control_has_no_events():
    est = compare_counts(_users(2_000, 0), _users(1_000, 3), counts="rate")
    assert est.method == "poisson_exact"
    assert est.rel_diff is None and est.rel_ci_low is None and est.rel_ci_high is None


def test_events_clustered_in_few_users_are_too_few_to_test():
    control, variant = _users(300, 6, per_user=3), _users(300, 1)
    est = compare_counts(control, variant, counts="rate")
    assert est.method.startswith("too_few_events")
    assert math.isnan(est.p_value) and math.isnan(est.ci_low) and math.isnan(est.ci_high)
    assert est.sequential_p_value is None
    assert est.diff == pytest.approx(variant.mean - control.mean)


def test_no_events_in_either_arm_is_too_few_to_test():
    est = compare_counts(_users(300, 0), _users(300, 0), counts="rate")
    assert est.method == "too_few_events (no events in either arm)"


def test_with_enough_events_the_normal_test_runs_unchanged():
    rng = np.random.default_rng(5)
    posts = rng.poisson(15, 2_000) + 1
    control = ratio_stat(rng.poisson(posts * 0.002), posts)
    variant = ratio_stat(rng.poisson(posts * 0.002), posts)
    assert min(control.m_sum, variant.m_sum) >= MIN_EVENTS
    assert compare_counts(control, variant, counts="rate") == compare(control, variant)


def test_the_threshold_is_per_arm_events():
    exactly = compare_counts(_users(3_000, MIN_EVENTS), _users(3_000, MIN_EVENTS), counts="rate")
    below = compare_counts(_users(3_000, MIN_EVENTS), _users(3_000, MIN_EVENTS - 1), counts="rate")
    assert exactly.method == "delta_method"
    assert below.method == "poisson_exact"


def test_per_user_count_with_at_most_one_event_per_user_is_fishers_test_on_users():
    control = mean_stat(np.r_[np.ones(2), np.zeros(498)])
    variant = mean_stat(np.r_[np.ones(8), np.zeros(492)])
    est = compare_counts(control, variant, counts="count")
    assert est.method == "fisher_exact"
    assert est.p_value == pytest.approx(stats.fisher_exact([[8, 492], [2, 498]]).pvalue)
    assert est.value_variant == pytest.approx(8 / 500)


def test_cuped_count_with_few_events_uses_the_in_experiment_counts():
    rng = np.random.default_rng(1)
    control = cuped_stat(np.r_[np.ones(3), np.zeros(297)], rng.poisson(2, 300))
    variant = cuped_stat(np.r_[np.ones(1), np.zeros(299)], rng.poisson(2, 300))
    assert compare_counts(control, variant, counts="count").method == "fisher_exact"


def test_share_counts_the_rarer_of_successes_and_failures():
    # 95 % of attempts withdrawn: the failures (5 of 100 attempts, clustered) are the rare side
    m = np.r_[np.full(45, 2.0), np.full(5, 1.0)]
    d = np.full(50, 2.0)
    control = ratio_stat(m, d)
    variant = ratio_stat(np.full(50, 1.0), np.full(50, 2.0))
    assert compare_counts(control, variant, counts="share").method.startswith("too_few_events")


def test_share_with_one_trial_per_user_is_fishers_test():
    control = ratio_stat(np.r_[np.ones(3), np.zeros(97)], np.ones(100))
    variant = ratio_stat(np.r_[np.ones(12), np.zeros(88)], np.ones(100))
    est = compare_counts(control, variant, counts="share")
    assert est.method == "fisher_exact"
    assert est.p_value == pytest.approx(stats.fisher_exact([[12, 88], [3, 97]]).pvalue)


def test_fewer_than_two_users_stays_undefined():
    est = compare_counts(_rate([1], [10]), _rate([0, 0], [10, 10]), counts="rate")
    assert "undefined" in est.method


def test_exact_results_carry_an_always_valid_p_value_no_smaller_than_the_fixed_one():
    est = compare_counts(_users(9_481, 10), _users(4_723, 0), counts="rate")
    assert est.sequential_p_value is not None
    assert est.sequential_p_value >= est.p_value
    pi0 = 4_723 / (9_481 + 4_723)
    assert est.sequential_p_value == pytest.approx(mixture_p_value(0, 10, pi0), rel=1e-12)


def test_mixture_p_value_is_the_reciprocal_beta_binomial_bayes_factor():
    # uniform prior (c = 2, pi0 = 1/2): M = B(1 + k_v, 1 + k_c) / B(1, 1) / 0.5^K
    k_v, k_c = 7, 1
    bf = math.exp(math.lgamma(1 + k_v) + math.lgamma(1 + k_c) - math.lgamma(2 + k_v + k_c)) / 0.5 ** (k_v + k_c)
    assert mixture_p_value(k_v, k_c, 0.5) == pytest.approx(1 / bf)
    assert mixture_p_value(0, 0, 0.3) == 1.0
    assert math.isnan(mixture_p_value(1, 1, 0.0))


@pytest.mark.slow
def test_mixture_p_value_stays_valid_under_continuous_monitoring():
    """Ville's inequality: looking after every event, the p-value falls below alpha in at most alpha of nulls."""
    rng = np.random.default_rng(11)
    pi0, looks, runs = 1 / 3, 300, 2_000
    in_variant = rng.random((runs, looks)) < pi0
    k_v = np.cumsum(in_variant, axis=1)
    k_c = np.arange(1, looks + 1) - k_v
    ever = np.zeros(runs, dtype=bool)
    for t in range(looks):
        ever |= np.array([mixture_p_value(v, c, pi0) for v, c in zip(k_v[:, t], k_c[:, t], strict=True)]) < 0.05
    assert ever.mean() <= 0.05, ever.mean()


@pytest.mark.parametrize("n", [1, 2, 5, 13, 40, 211])
@pytest.mark.parametrize("p", [0.5, 1 / 3, 0.07, 0.81])
def test_binomial_two_sided_p_value_equals_scipy_binomtest(n, p):
    from pipelines.stats.rare import binomial_two_sided_p

    for k in range(n + 1):
        assert binomial_two_sided_p(k, n, p) == pytest.approx(stats.binomtest(k, n, p).pvalue, rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("exposure_share", [1 / 3, 0.5, 2 / 3])
@pytest.mark.parametrize("handful", range(1, 6))
def test_no_decision_is_possible_from_a_zero_event_arm_against_a_handful(exposure_share, handful):
    """A decision needs the fixed p-value *and* the always-valid one below 5 % (pipelines.results.decision).
    3 events in the smaller arm against 0 in one twice its size is p = (1/3)^3 = 0.037 at a single look - but
    not yet evidence that survives looking every night."""
    n_v = 3_000
    n_c = round(n_v * (1 - exposure_share) / exposure_share)
    for zero_in_variant in (True, False):
        control = _users(n_c, 0 if not zero_in_variant else handful)
        variant = _users(n_v, 0 if zero_in_variant else handful)
        est = compare_counts(control, variant, counts="rate")
        assert est.method == "poisson_exact"
        assert est.sequential_p_value > 0.05, (handful, exposure_share, est)
