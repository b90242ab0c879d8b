"""Sample-ratio mismatch check: Pearson chi-square goodness of fit against the planned split."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from pipelines.stats import SampleRatioCheck, sample_ratio_check


@pytest.mark.parametrize(
    ("observed", "planned"),
    [
        ({"control": 5_020, "treatment": 4_980}, {"control": 0.5, "treatment": 0.5}),
        ({"control": 10_000, "soft": 4_500, "firm": 5_000}, {"control": 0.5, "soft": 0.25, "firm": 0.25}),
        ({"a": 120, "b": 260, "c": 610}, {"a": 1, "b": 2, "c": 7}),
    ],
)
def test_chi_square_matches_scipy_chisquare(observed, planned):
    result = sample_ratio_check(observed, planned)
    total, share_sum = sum(observed.values()), sum(planned.values())
    f_exp = [total * planned[arm] / share_sum for arm in observed]
    reference = stats.chisquare(list(observed.values()), f_exp=f_exp)
    assert isinstance(result, SampleRatioCheck)
    assert result.statistic == pytest.approx(reference.statistic, rel=1e-12)
    assert result.p_value == pytest.approx(reference.pvalue, rel=1e-9)
    assert result.passed == (reference.pvalue >= 0.001)


def test_planned_shares_are_renormalised_to_sum_to_one():
    as_percent = sample_ratio_check({"a": 600, "b": 400}, {"a": 50, "b": 50})
    as_share = sample_ratio_check({"a": 600, "b": 400}, {"a": 0.5, "b": 0.5})
    assert as_percent.expected_shares == {"a": 0.5, "b": 0.5}
    assert as_percent.statistic == pytest.approx(as_share.statistic)
    assert as_percent.expected_counts == {"a": 500.0, "b": 500.0}


def test_lost_assignments_in_one_arm_fail_the_check():
    result = sample_ratio_check({"control": 10_000, "soft": 4_500, "firm": 5_000},
                                {"control": 0.5, "soft": 0.25, "firm": 0.25})
    assert result.p_value < 1e-6 and not result.passed


def test_threshold_decides_pass_or_fail():
    observed, planned = {"a": 5_100, "b": 4_900}, {"a": 0.5, "b": 0.5}
    p = sample_ratio_check(observed, planned).p_value
    assert 0.001 < p < 0.05
    assert sample_ratio_check(observed, planned).passed
    assert not sample_ratio_check(observed, planned, threshold=0.05).passed


def test_planned_arm_without_users_counts_as_zero():
    result = sample_ratio_check({"a": 1_000}, {"a": 0.5, "b": 0.5})
    assert result.observed == {"a": 1_000, "b": 0}
    assert not result.passed


def test_users_in_an_arm_planned_at_zero_share_fail():
    result = sample_ratio_check({"a": 1_000, "b": 3}, {"a": 1.0, "b": 0.0})
    assert math.isinf(result.statistic) and result.p_value == 0.0 and not result.passed


def test_undefined_check_has_nan_p_value_and_passes():
    empty = sample_ratio_check({}, {"a": 0.5, "b": 0.5})
    single = sample_ratio_check({"a": 10}, {"a": 1.0})
    assert math.isnan(empty.p_value) and empty.passed
    assert math.isnan(single.p_value) and single.passed


@pytest.mark.parametrize(
    ("observed", "planned"),
    [({"x": 5}, {"a": 1.0}), ({"a": -1}, {"a": 1.0}), ({"a": 5}, {"a": -1.0}), ({"a": 5}, {"a": 0.0})],
)
def test_invalid_inputs_raise(observed, planned):
    with pytest.raises(ValueError):
        sample_ratio_check(observed, planned)
