"""Cochran's Q (pipelines.stats.heterogeneity) against statsmodels' meta-analysis and a WLS interaction test."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from statsmodels.stats.meta_analysis import combine_effects

from pipelines.stats import cochran_q


def test_q_equals_statsmodels_combine_effects():
    effects = np.array([0.21, 0.30, 0.12, 0.26])
    ses = np.array([0.02, 0.05, 0.04, 0.03])
    ours = cochran_q(effects, ses)
    ref = combine_effects(effects, ses**2)
    homogeneity = ref.test_homogeneity()
    assert ours.statistic == pytest.approx(ref.q, rel=1e-12)
    assert ours.df == homogeneity.df == 3
    assert ours.p_value == pytest.approx(homogeneity.pvalue, rel=1e-9)
    assert ours.pooled_effect == pytest.approx(ref.mean_effect_fe, rel=1e-12)
    assert ours.method == "cochran_q"


def test_q_is_the_wald_test_of_segment_indicators_in_a_weighted_regression():
    effects = np.array([0.5, 0.1, 0.3])
    ses = np.array([0.1, 0.2, 0.15])
    # effects ~ intercept + segment dummies, weights 1/se^2, scale fixed at 1: Wald test of the dummies
    x = np.column_stack([np.ones(3), np.eye(3)[:, 1:]])
    fit = sm.WLS(effects, x, weights=1 / ses**2).fit(cov_type="fixed scale", cov_kwds={"scale": 1.0})
    wald = fit.wald_test(np.eye(3)[1:], scalar=True)
    assert cochran_q(effects, ses).statistic == pytest.approx(float(wald.statistic), rel=1e-9)


def test_segments_without_a_valid_estimate_are_left_out():
    full = cochran_q([0.1, 0.3, math.nan, 0.2], [0.05, 0.05, 0.05, math.nan])
    assert full.segments == 2 and full.df == 1
    assert full.statistic == pytest.approx(cochran_q([0.1, 0.3], [0.05, 0.05]).statistic)
    assert cochran_q([0.1, 0.2], [0.05, 0.0]).segments == 1


@pytest.mark.parametrize("effects, ses", [([], []), ([0.2], [0.1]), ([0.2, 0.3], [math.nan, 0.1])])
def test_fewer_than_two_valid_segments_give_no_test(effects, ses):
    result = cochran_q(effects, ses)
    assert math.isnan(result.statistic) and math.isnan(result.p_value) and result.df == 0
    assert result.method.startswith("cochran_q (undefined:")


def test_mismatched_lengths_raise():
    with pytest.raises(ValueError):
        cochran_q([0.1, 0.2], [0.1])
