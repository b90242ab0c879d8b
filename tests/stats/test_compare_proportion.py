"""Two-proportion z-test, Fisher's exact fallback, Wilson and Newcombe intervals."""

from __future__ import annotations

import math

import pytest
from scipy import stats
from statsmodels.stats import proportion as smp
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from pipelines.stats import ProportionStatistic, compare, newcombe_interval, wilson_interval

# (successes control, n control, successes variant, n variant)
LARGE_CELLS = [(412, 1_000, 455, 1_000), (1_300, 5_000, 1_210, 4_700), (60, 200, 90, 210)]
SMALL_CELLS = [(3, 400, 11, 410), (0, 50, 4, 55), (48, 50, 40, 52), (2, 12, 9, 11)]


@pytest.mark.parametrize(("x_c", "n_c", "x_v", "n_v"), LARGE_CELLS)
def test_unpooled_z_test_matches_statsmodels_wald(x_c, n_c, x_v, n_v):
    result = compare(ProportionStatistic(n_c, x_c), ProportionStatistic(n_v, x_v))
    reference = smp.test_proportions_2indep(x_v, n_v, x_c, n_c, method="wald", compare="diff")
    low, high = confint_proportions_2indep(x_v, n_v, x_c, n_c, method="wald", compare="diff")
    assert result.method == "z_test"
    assert result.diff == pytest.approx(x_v / n_v - x_c / n_c, rel=1e-12)
    assert result.diff / result.se == pytest.approx(reference.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9)


@pytest.mark.parametrize(("x_c", "n_c", "x_v", "n_v"), LARGE_CELLS)
def test_relative_interval_matches_statsmodels_log_risk_ratio(x_c, n_c, x_v, n_v):
    # Katz et al. 1978 log risk-ratio interval == statsmodels compare="ratio", method="log"
    result = compare(ProportionStatistic(n_c, x_c), ProportionStatistic(n_v, x_v))
    low, high = confint_proportions_2indep(x_v, n_v, x_c, n_c, method="log", compare="ratio")
    assert result.rel_ci_low == pytest.approx(low - 1, rel=1e-9)
    assert result.rel_ci_high == pytest.approx(high - 1, rel=1e-9)


@pytest.mark.parametrize(("x_c", "n_c", "x_v", "n_v"), SMALL_CELLS)
def test_small_cells_use_fisher_exact_p_value_matching_scipy(x_c, n_c, x_v, n_v):
    result = compare(ProportionStatistic(n_c, x_c), ProportionStatistic(n_v, x_v))
    reference = stats.fisher_exact([[x_c, n_c - x_c], [x_v, n_v - x_v]], alternative="two-sided")
    assert result.method == "fisher_exact"
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-12)


@pytest.mark.parametrize(("x_c", "n_c", "x_v", "n_v"), SMALL_CELLS)
def test_fisher_case_reports_newcombe_interval(x_c, n_c, x_v, n_v):
    result = compare(ProportionStatistic(n_c, x_c), ProportionStatistic(n_v, x_v))
    low, high = confint_proportions_2indep(x_v, n_v, x_c, n_c, method="newcomb", compare="diff")
    assert (result.ci_low, result.ci_high) == pytest.approx((low, high), rel=1e-9, abs=1e-12)
    assert result.ci_low <= result.diff <= result.ci_high


def test_fisher_threshold_is_ten_per_cell():
    just_enough = compare(ProportionStatistic(100, 10), ProportionStatistic(100, 20))
    one_short = compare(ProportionStatistic(100, 9), ProportionStatistic(100, 20))
    assert just_enough.method == "z_test"
    assert one_short.method == "fisher_exact"


@pytest.mark.parametrize(("count", "nobs"), [(0, 20), (1, 20), (37, 120), (500, 1_000), (99, 100), (7, 7)])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_wilson_matches_statsmodels_proportion_confint(count, nobs, alpha):
    low, high = proportion_confint(count, nobs, alpha=alpha, method="wilson")
    assert wilson_interval(ProportionStatistic(nobs, count), alpha) == pytest.approx((low, high), abs=1e-12)


@pytest.mark.parametrize(
    ("x_c", "n_c", "x_v", "n_v"), [*LARGE_CELLS, *SMALL_CELLS, (0, 30, 0, 30), (30, 30, 29, 30)]
)
def test_newcombe_matches_statsmodels_newcomb(x_c, n_c, x_v, n_v):
    low, high = confint_proportions_2indep(x_v, n_v, x_c, n_c, method="newcomb", compare="diff", alpha=0.05)
    result = newcombe_interval(ProportionStatistic(n_c, x_c), ProportionStatistic(n_v, x_v), 0.05)
    assert result == pytest.approx((low, high), abs=1e-12)


def test_all_zero_arms_give_p_value_one_and_no_relative_effect():
    result = compare(ProportionStatistic(40, 0), ProportionStatistic(45, 0))
    assert result.method == "fisher_exact"
    assert result.p_value == pytest.approx(1.0)
    assert result.diff == 0.0 and result.rel_diff is None
    assert result.ci_low < 0 < result.ci_high


def test_degenerate_proportions_return_nan_inference():
    result = compare(ProportionStatistic(1, 1), ProportionStatistic(30, 12))
    assert result.method.startswith("fisher_exact (undefined:")
    assert math.isnan(result.p_value) and math.isnan(result.ci_low) and math.isnan(result.se)
    empty = compare(ProportionStatistic(0, 0), ProportionStatistic(0, 0))
    assert math.isnan(empty.value_control) and math.isnan(empty.diff) and empty.rel_diff is None
    assert all(math.isnan(bound) for bound in wilson_interval(ProportionStatistic(0, 0)))
