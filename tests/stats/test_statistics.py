"""Sufficient statistics: derived mean/variance against numpy, exact shard combination, degenerate cases."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from pipelines.stats import (
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
)


def test_sample_mean_statistic_matches_numpy_mean_and_ddof1_variance(rng, build):
    x = rng.negative_binomial(2, 0.3, size=3_000).astype(float)
    stat = build.mean(x)
    assert stat.n == stat.unit_count == x.size
    assert stat.mean == pytest.approx(x.mean(), rel=1e-12)
    assert stat.variance == pytest.approx(x.var(ddof=1), rel=1e-10)


def test_proportion_statistic_variance_equals_sample_variance_of_indicators(rng, build):
    x = rng.binomial(1, 0.27, size=2_500)
    stat = build.proportion(x)
    assert stat.mean == pytest.approx(x.mean(), rel=1e-12)
    assert stat.variance == pytest.approx(x.var(ddof=1), rel=1e-10)
    assert stat.bernoulli_variance == pytest.approx(x.var(ddof=0), rel=1e-10)
    assert stat.successes + stat.failures == stat.n


def test_ratio_statistic_variance_equals_per_user_linearisation(rng, build, attempts):
    m, d = attempts(rng, 4_000)
    stat = build.ratio(m, d)
    ratio = m.sum() / d.sum()
    assert stat.mean == pytest.approx(ratio, rel=1e-12)
    # Deng et al. 2018: Var(R_hat) = Var(m - R d) / (n * dbar^2), computed here from the raw arrays.
    influence = (m - ratio * d) / d.mean()
    assert stat.variance == pytest.approx(influence.var(ddof=1), rel=1e-9)
    assert stat.covariance == pytest.approx(np.cov(m, d, ddof=1)[0, 1], rel=1e-10)


def test_regression_adjusted_statistic_exposes_observed_moments_and_adjusted_variance(rng, build):
    pre = rng.poisson(3.0, size=2_000).astype(float)
    post = pre + rng.poisson(1.0, size=pre.size)
    stat = build.cuped(post, pre)
    assert stat.mean == pytest.approx(post.mean(), rel=1e-12)
    assert stat.variance == pytest.approx(post.var(ddof=1), rel=1e-10)
    assert stat.pre.mean == pytest.approx(pre.mean(), rel=1e-12)
    assert stat.covariance == pytest.approx(np.cov(post, pre, ddof=1)[0, 1], rel=1e-10)
    theta = 0.8
    assert stat.adjusted_variance(theta) == pytest.approx((post - theta * pre).var(ddof=1), rel=1e-9)


@pytest.mark.parametrize("kind", ["mean", "proportion", "ratio", "cuped"])
def test_adding_shards_equals_statistic_of_concatenated_data(rng, build, attempts, kind):
    def make(idx: np.ndarray):
        if kind == "mean":
            return build.mean(values[idx])
        if kind == "proportion":
            return build.proportion(flags[idx])
        if kind == "ratio":
            return build.ratio(m[idx], d[idx])
        return build.cuped(values[idx], pre[idx])

    n = 1_500
    values = rng.gamma(2.0, 3.0, size=n)
    pre = values * 0.5 + rng.normal(size=n)
    flags = rng.binomial(1, 0.4, size=n)
    m, d = attempts(rng, n)
    cuts = [0, 100, 101, 900, n]
    shards = [make(np.arange(a, b)) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    combined = shards[0]
    for shard in shards[1:]:
        combined = combined + shard
    whole = make(np.arange(n))
    assert type(combined) is type(whole)
    assert combined.n == whole.n
    assert combined.mean == pytest.approx(whole.mean, rel=1e-12)
    assert combined.variance == pytest.approx(whole.variance, rel=1e-9)


def test_adding_different_statistic_types_raises_type_error():
    with pytest.raises(TypeError):
        SampleMeanStatistic(3, 1.0, 1.0) + ProportionStatistic(3, 1)  # type: ignore[operator]


def test_fields_are_coerced_to_int_and_float_from_numpy_and_decimal():
    stat = SampleMeanStatistic(n=np.int64(4), sum=Decimal("6"), sum_squares=np.float32(14.0))  # type: ignore[arg-type]
    assert type(stat.n) is int and type(stat.sum) is float and type(stat.sum_squares) is float
    assert stat.mean == 1.5
    assert ProportionStatistic(n=10.0, sum=3).n == 10  # type: ignore[arg-type]


def test_null_sums_of_an_empty_segment_are_read_as_zero():
    # SQL SUM over no rows is NULL: an empty segment arrives as n=0 with None sums
    empty = RatioStatistic(0, None, None, None, None, None)  # type: ignore[arg-type]
    assert empty.m_sum == 0.0 and math.isnan(empty.mean)
    assert (empty + RatioStatistic(2, 1, 1, 2, 2, 1)).mean == 0.5


@pytest.mark.parametrize(
    "make",
    [
        lambda: SampleMeanStatistic(n=3, sum=None, sum_squares=0),  # type: ignore[arg-type]
        lambda: SampleMeanStatistic(n=-1, sum=0, sum_squares=0),
        lambda: SampleMeanStatistic(n=2.5, sum=0, sum_squares=0),
        lambda: ProportionStatistic(n=5, sum=6),
        lambda: ProportionStatistic(n=5, sum=-1),
    ],
)
def test_invalid_inputs_raise_value_error(make):
    with pytest.raises(ValueError):
        make()


def test_degenerate_statistics_return_nan_instead_of_raising():
    empty = SampleMeanStatistic(0, 0.0, 0.0)
    single = SampleMeanStatistic(1, 5.0, 25.0)
    assert math.isnan(empty.mean) and math.isnan(empty.variance)
    assert single.mean == 5.0 and math.isnan(single.variance)
    assert math.isnan(ProportionStatistic(0, 0).mean)
    zero_denominator = RatioStatistic(10, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert math.isnan(zero_denominator.mean) and math.isnan(zero_denominator.variance)
    assert math.isnan(RegressionAdjustedStatistic(1, 1.0, 1.0, 1.0, 1.0, 1.0).adjusted_variance(0.5))


def test_variance_from_sums_is_never_negative_under_cancellation():
    # identical large values: sum_squares - sum^2 / n cancels to a tiny negative number in floating point
    x = np.full(7, 1e8 + 0.1)
    stat = SampleMeanStatistic(x.size, float(x.sum()), float((x * x).sum()))
    assert stat.variance >= 0.0
