"""Ratio metrics (e.g. withdrawn / triggered attempts): delta method over users."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from pipelines.stats import RatioStatistic, compare


def _attempt_level(m: np.ndarray, d: np.ndarray, first_user: int) -> tuple[np.ndarray, np.ndarray]:
    """Expand per-user (m, d) into one row per attempt: outcome in {0, 1} and the user id."""
    users = np.repeat(np.arange(first_user, first_user + m.size), d.astype(int))
    # within each user, the first m_u attempts are successes
    start = np.repeat(np.cumsum(d) - d, d.astype(int))
    rank = np.arange(users.size) - start
    outcome = (rank < np.repeat(m, d.astype(int))).astype(float)
    return outcome, users


def test_delta_method_matches_cluster_robust_ols_on_attempt_level_data(rng, build, attempts):
    m_c, d_c = attempts(rng, 1_500, rate=0.55)
    m_v, d_v = attempts(rng, 1_700, rate=0.60)
    result = compare(build.ratio(m_c, d_c), build.ratio(m_v, d_v))

    y_c, g_c = _attempt_level(m_c, d_c, 0)
    y_v, g_v = _attempt_level(m_v, d_v, m_c.size)
    y = np.concatenate([y_c, y_v])
    treated = np.concatenate([np.zeros(y_c.size), np.ones(y_v.size)])
    groups = np.concatenate([g_c, g_v])
    fit = sm.OLS(y, sm.add_constant(treated)).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}
    )
    assert result.method == "delta_method"
    assert result.diff == pytest.approx(fit.params[1], rel=1e-10)
    # CR0 differs from the n-1 sample variances only by n / (n - 1) per arm
    assert result.se == pytest.approx(fit.bse[1], rel=1e-3)
    assert result.p_value == pytest.approx(fit.pvalues[1], rel=0.02)


def test_per_arm_delta_variance_equals_cr0_times_small_sample_factor(rng, build, attempts):
    m, d = attempts(rng, 900)
    y, groups = _attempt_level(m, d, 0)
    fit = sm.OLS(y, np.ones((y.size, 1))).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False}
    )
    stat = build.ratio(m, d)
    assert stat.mean == pytest.approx(fit.params[0], rel=1e-12)
    assert stat.variance / stat.n == pytest.approx(fit.bse[0] ** 2 * m.size / (m.size - 1), rel=1e-9)


def test_delta_method_matches_direct_linearisation_with_numpy(rng, build, attempts):
    m_c, d_c = attempts(rng, 2_000)
    m_v, d_v = attempts(rng, 2_100, rate=0.65)
    result = compare(build.ratio(m_c, d_c), build.ratio(m_v, d_v), alpha=0.1)

    def arm(m: np.ndarray, d: np.ndarray) -> tuple[float, float]:
        ratio = m.sum() / d.sum()
        influence = (m - ratio * d) / d.mean()
        return ratio, influence.var(ddof=1) / m.size

    (r_c, v_c), (r_v, v_v) = arm(m_c, d_c), arm(m_v, d_v)
    se = math.sqrt(v_c + v_v)
    z = stats.norm.ppf(0.95)
    assert result.se == pytest.approx(se, rel=1e-9)
    expected = (r_v - r_c - z * se, r_v - r_c + z * se)
    assert (result.ci_low, result.ci_high) == pytest.approx(expected, rel=1e-9)
    assert result.p_value == pytest.approx(2 * stats.norm.sf(abs(r_v - r_c) / se), rel=1e-8)
    # relative interval: delta method on log(R_v / R_c)
    se_log = math.sqrt(v_c / r_c**2 + v_v / r_v**2)
    assert result.rel_ci_low == pytest.approx(r_v / r_c * math.exp(-z * se_log) - 1, rel=1e-9)


def test_delta_method_se_agrees_with_user_level_bootstrap(rng, build, attempts):
    m_c, d_c = attempts(rng, 1_200)
    m_v, d_v = attempts(rng, 1_200, rate=0.5)
    result = compare(build.ratio(m_c, d_c), build.ratio(m_v, d_v))
    draws = 600
    idx_c = rng.integers(0, m_c.size, size=(draws, m_c.size))
    idx_v = rng.integers(0, m_v.size, size=(draws, m_v.size))
    boot = m_v[idx_v].sum(1) / d_v[idx_v].sum(1) - m_c[idx_c].sum(1) / d_c[idx_c].sum(1)
    assert result.se == pytest.approx(boot.std(ddof=1), rel=0.1)


def test_delta_method_se_exceeds_naive_attempt_level_binomial_se_under_clustering(rng, build, attempts):
    m_c, d_c = attempts(rng, 3_000)
    m_v, d_v = attempts(rng, 3_000)
    result = compare(build.ratio(m_c, d_c), build.ratio(m_v, d_v))
    p_c, p_v = m_c.sum() / d_c.sum(), m_v.sum() / d_v.sum()
    naive = math.sqrt(p_c * (1 - p_c) / d_c.sum() + p_v * (1 - p_v) / d_v.sum())
    assert result.se > 1.2 * naive


_NINE_USERS = RatioStatistic(9, 5.0, 5.0, 9.0, 9.0, 5.0)
_CONSTANT = RatioStatistic(3, 3.0, 3.0, 3.0, 3.0, 3.0)


@pytest.mark.parametrize(
    ("control", "variant", "reason"),
    [
        (RatioStatistic(1, 1.0, 1.0, 2.0, 4.0, 2.0), _NINE_USERS, "fewer than 2"),
        (RatioStatistic(5, 0.0, 0.0, 0.0, 0.0, 0.0), _NINE_USERS, "zero denominator"),
        (_CONSTANT, _CONSTANT, "zero variance"),
    ],
)
def test_degenerate_ratio_returns_nan_and_says_why(control, variant, reason):
    result = compare(control, variant)
    assert result.method.startswith("delta_method (undefined:") and reason in result.method
    assert math.isnan(result.se) and math.isnan(result.p_value) and math.isnan(result.ci_high)
