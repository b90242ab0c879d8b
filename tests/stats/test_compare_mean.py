"""Welch t-test on per-user means, and the behaviour shared by every ``compare`` result."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pipelines.stats import EffectEstimate, ProportionStatistic, SampleMeanStatistic, compare


@pytest.mark.parametrize(("n_c", "n_v", "shift"), [(800, 1_200, 0.3), (35, 20, -1.0), (5_000, 5_000, 0.0)])
def test_welch_matches_scipy_ttest_ind(rng, build, n_c, n_v, shift):
    control = rng.gamma(2.0, 2.0, size=n_c)
    variant = rng.gamma(2.0, 2.6, size=n_v) + shift
    result = compare(build.mean(control), build.mean(variant), alpha=0.1)
    reference = stats.ttest_ind(variant, control, equal_var=False)
    ci = reference.confidence_interval(confidence_level=0.9)

    assert result.method == "welch_t"
    assert result.diff == pytest.approx(variant.mean() - control.mean(), rel=1e-10)
    assert result.diff / result.se == pytest.approx(reference.statistic, rel=1e-9)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-7)
    assert (result.ci_low, result.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-8)
    assert result.units_control == n_c and result.units_variant == n_v


def test_welch_relative_interval_is_log_ratio_delta_method_centred_on_rel_diff(rng, build):
    control = rng.normal(10.0, 3.0, size=2_000)
    variant = rng.normal(10.8, 3.5, size=2_000)
    result = compare(build.mean(control), build.mean(variant))
    c, v = control.mean(), variant.mean()
    se_log = math.sqrt(control.var(ddof=1) / control.size / c**2 + variant.var(ddof=1) / variant.size / v**2)
    df = stats.ttest_ind(variant, control, equal_var=False).df
    t = stats.t.ppf(0.975, df)
    assert result.rel_diff == pytest.approx(v / c - 1, rel=1e-10)
    assert result.rel_ci_low == pytest.approx(v / c * math.exp(-t * se_log) - 1, rel=1e-9)
    assert result.rel_ci_high == pytest.approx(v / c * math.exp(t * se_log) - 1, rel=1e-9)
    assert result.rel_ci_low < result.rel_diff < result.rel_ci_high


def test_result_is_frozen_dataclass_with_contract_fields():
    result = compare(SampleMeanStatistic(10, 10.0, 20.0), SampleMeanStatistic(10, 12.0, 25.0))
    assert isinstance(result, EffectEstimate)
    with pytest.raises(AttributeError):
        result.diff = 0.0  # type: ignore[misc]
    assert result.variance_reduction is None


def test_relative_fields_are_none_when_control_value_is_zero():
    control = SampleMeanStatistic(4, 0.0, 0.0)
    variant = SampleMeanStatistic(4, 4.0, 6.0)
    result = compare(control, variant)
    assert result.rel_diff is None and result.rel_ci_low is None and result.rel_ci_high is None
    assert result.diff == 1.0 and result.p_value > 0


@pytest.mark.parametrize(
    ("control", "variant", "reason"),
    [
        (SampleMeanStatistic(1, 3.0, 9.0), SampleMeanStatistic(50, 60.0, 100.0), "fewer than 2 units"),
        (SampleMeanStatistic(0, 0.0, 0.0), SampleMeanStatistic(50, 60.0, 100.0), "fewer than 2 units"),
        (SampleMeanStatistic(5, 10.0, 20.0), SampleMeanStatistic(5, 15.0, 45.0), "zero variance"),
    ],
)
def test_degenerate_welch_returns_nan_inference_and_says_why(control, variant, reason):
    result = compare(control, variant)
    assert result.method.startswith("welch_t (undefined:") and reason in result.method
    for value in (result.se, result.ci_low, result.ci_high, result.p_value):
        assert math.isnan(value)
    if control.n > 0:
        assert result.diff == pytest.approx(variant.mean - control.mean)


def test_compare_rejects_mixed_statistic_types_and_bad_alpha():
    with pytest.raises(TypeError):
        compare(SampleMeanStatistic(5, 1.0, 1.0), ProportionStatistic(5, 1))
    with pytest.raises(ValueError):
        compare(SampleMeanStatistic(5, 1.0, 1.0), SampleMeanStatistic(5, 1.0, 1.0), alpha=1.5)


def test_smaller_alpha_gives_wider_interval(rng, build):
    control, variant = build.mean(rng.normal(size=300)), build.mean(rng.normal(0.2, size=300))
    wide, narrow = compare(control, variant, alpha=0.01), compare(control, variant, alpha=0.2)
    assert wide.ci_low < narrow.ci_low < narrow.ci_high < wide.ci_high
    assert wide.p_value == pytest.approx(narrow.p_value)
    assert np.isclose(wide.diff, narrow.diff)
