"""CUPED (regression adjustment with the pre-period value of the same metric)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from pipelines.stats import RegressionAdjustedStatistic, compare


def _users(rng: np.random.Generator, n: int, effect: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-user posts in the pre-period and in the experiment, driven by a shared user activity level."""
    activity = rng.gamma(1.5, 2.0, size=n)
    pre = rng.poisson(activity).astype(float)
    post = rng.poisson(activity * (1 + effect)).astype(float)
    return post, pre


@pytest.fixture
def experiment(rng):
    post_c, pre_c = _users(rng, 3_000, 0.0)
    post_v, pre_v = _users(rng, 3_200, 0.05)
    return post_c, pre_c, post_v, pre_v


def test_cuped_diff_equals_ols_treatment_coefficient_with_pre_covariate(build, experiment):
    post_c, pre_c, post_v, pre_v = experiment
    result = compare(build.cuped(post_c, pre_c), build.cuped(post_v, pre_v))
    y = np.concatenate([post_c, post_v])
    treated = np.concatenate([np.zeros(post_c.size), np.ones(post_v.size)])
    x = np.concatenate([pre_c, pre_v])
    fit = sm.OLS(y, sm.add_constant(np.column_stack([treated, x]))).fit(cov_type="HC2")
    assert result.method == "cuped_welch_t"
    # pooled within-arm theta is exactly the OLS slope (Frisch-Waugh-Lovell), so the point estimates agree
    assert result.diff == pytest.approx(fit.params[1], rel=1e-9)
    # per-arm residual variances (Welch) vs a heteroskedasticity-robust OLS standard error
    assert result.se == pytest.approx(fit.bse[1], rel=0.005)
    assert result.p_value == pytest.approx(fit.pvalues[1], rel=0.02)


def test_cuped_reports_observed_values_and_variance_reduction_near_squared_correlation(build, experiment):
    post_c, pre_c, post_v, pre_v = experiment
    result = compare(build.cuped(post_c, pre_c), build.cuped(post_v, pre_v))
    plain = compare(build.mean(post_c), build.mean(post_v))
    assert result.value_control == pytest.approx(post_c.mean())
    assert result.value_variant == pytest.approx(post_v.mean())
    assert result.variance_reduction == pytest.approx(1 - result.se**2 / plain.se**2, rel=1e-12)
    rho2 = np.corrcoef(np.concatenate([post_c, post_v]), np.concatenate([pre_c, pre_v]))[0, 1] ** 2
    assert result.variance_reduction == pytest.approx(rho2, abs=0.03)
    assert 0.2 < result.variance_reduction < 0.9
    assert result.se < plain.se


def test_cuped_relative_interval_is_centred_on_adjusted_diff_over_observed_control(build, experiment):
    post_c, pre_c, post_v, pre_v = experiment
    result = compare(build.cuped(post_c, pre_c), build.cuped(post_v, pre_v))
    assert result.rel_diff == pytest.approx(result.diff / result.value_control, rel=1e-12)
    assert result.rel_ci_low < result.rel_diff < result.rel_ci_high


def test_cuped_without_pre_period_variance_falls_back_to_plain_welch(build, rng):
    post_c, post_v = rng.poisson(3.0, 500).astype(float), rng.poisson(3.2, 500).astype(float)
    no_history = np.zeros(500)
    result = compare(build.cuped(post_c, no_history), build.cuped(post_v, no_history))
    plain = compare(build.mean(post_c), build.mean(post_v))
    assert result.method.startswith("welch_t") and "CUPED not applied" in result.method
    assert result.variance_reduction is None
    assert (result.diff, result.se, result.p_value) == pytest.approx((plain.diff, plain.se, plain.p_value))


def test_cuped_with_uncorrelated_covariate_changes_little(build, rng):
    post_c, post_v = rng.normal(5, 2, 4_000), rng.normal(5.1, 2, 4_000)
    pre_c, pre_v = rng.normal(0, 1, 4_000), rng.normal(0, 1, 4_000)
    result = compare(build.cuped(post_c, pre_c), build.cuped(post_v, pre_v))
    plain = compare(build.mean(post_c), build.mean(post_v))
    assert abs(result.variance_reduction) < 0.01
    assert result.diff == pytest.approx(plain.diff, abs=0.02)


def test_degenerate_cuped_returns_nan_and_says_why():
    one = RegressionAdjustedStatistic(1, 2.0, 4.0, 1.0, 1.0, 2.0)
    many = RegressionAdjustedStatistic(10, 20.0, 50.0, 10.0, 14.0, 25.0)
    result = compare(one, many)
    assert result.method.startswith("cuped_welch_t (undefined:")
    assert math.isnan(result.p_value) and result.variance_reduction is None
