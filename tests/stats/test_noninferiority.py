"""Non-inferiority of guardrails (pipelines.stats.noninferiority): the one-sided test and the status."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pipelines.stats import compare, non_inferiority
from tests.stats.conftest import mean_stat


def _arms(rng: np.random.Generator, n: int, rel_change: float) -> tuple:
    control = mean_stat(rng.poisson(15.0, n))
    variant = mean_stat(rng.poisson(15.0 * (1 + rel_change), n))
    return control, variant


def test_p_value_is_the_one_sided_z_test_of_the_log_ratio_against_the_margin():
    rng = np.random.default_rng(3)
    est = compare(*_arms(rng, 5_000, 0.0))
    result = non_inferiority(est, -0.02, higher_is_better=True)
    z = (math.log1p(est.rel_diff) - math.log1p(-0.02)) / est.rel_se_log
    assert result.p_value == pytest.approx(stats.norm.sf(z))
    # the relative interval of compare is exp(log ratio +/- t se_log) - 1 (Welch's t, ~10,000 df): the same se
    assert math.log1p(est.rel_ci_high) - math.log1p(est.rel_ci_low) == pytest.approx(
        2 * stats.norm.ppf(0.975) * est.rel_se_log, rel=1e-3)


def test_no_change_with_many_users_holds_a_two_percent_margin():
    result = non_inferiority(compare(*_arms(np.random.default_rng(1), 20_000, 0.0)), -0.02, higher_is_better=True)
    assert result.status == "held"
    assert result.seq_rel_ci_low > -0.02 and result.p_value < 0.05


def test_a_ten_percent_drop_breaches_a_two_percent_margin():
    result = non_inferiority(compare(*_arms(np.random.default_rng(1), 20_000, -0.10)), -0.02, higher_is_better=True)
    assert result.status == "breached"
    assert result.seq_rel_ci_high < -0.02


def test_too_little_data_is_not_shown():
    result = non_inferiority(compare(*_arms(np.random.default_rng(1), 200, 0.0)), -0.02, higher_is_better=True)
    assert result.status == "not_shown"


def test_lower_is_better_guardrail_tests_against_a_rise():
    est = compare(*_arms(np.random.default_rng(2), 20_000, 0.0))
    rise = non_inferiority(est, 0.02, higher_is_better=False)
    assert rise.status == "held"
    z = (math.log1p(0.02) - math.log1p(est.rel_diff)) / est.rel_se_log
    assert rise.p_value == pytest.approx(stats.norm.sf(z))


def test_without_a_relative_estimate_the_status_is_unknown():
    est = compare(mean_stat(np.zeros(50)), mean_stat(np.r_[np.ones(5), np.zeros(45)]))
    assert non_inferiority(est, -0.02, higher_is_better=True).status == "unknown"


@pytest.mark.parametrize("margin, higher", [(0.02, True), (-0.02, False), (-1.0, True)])
def test_a_margin_on_the_wrong_side_raises(margin, higher):
    est = compare(*_arms(np.random.default_rng(1), 100, 0.0))
    with pytest.raises(ValueError):
        non_inferiority(est, margin, higher_is_better=higher)
