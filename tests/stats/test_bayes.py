"""Gaussian-approximation Bayesian read-out: chance to beat control, expected loss, credible interval."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from pipelines.stats import BayesianEstimate, bayesian_compare


def test_flat_prior_chance_to_beat_is_one_minus_half_the_two_sided_p_value():
    diff, se = 0.8, 0.4
    result = bayesian_compare(diff, se)
    p_value = 2 * stats.norm.sf(abs(diff / se))
    assert isinstance(result, BayesianEstimate)
    assert result.chance_to_beat_control == pytest.approx(1 - p_value / 2, rel=1e-12)
    assert "flat" in result.prior
    assert (result.ci_low, result.ci_high) == pytest.approx((diff - 1.959964 * se, diff + 1.959964 * se))


@pytest.mark.parametrize(("diff", "se"), [(0.5, 1.0), (-0.3, 0.2), (0.0, 2.0), (3.0, 0.5)])
@pytest.mark.parametrize("higher_is_better", [True, False])
def test_expected_loss_matches_numerical_integration(diff, se, higher_is_better):
    result = bayesian_compare(diff, se, higher_is_better=higher_is_better)
    sign = 1.0 if higher_is_better else -1.0
    density = stats.norm(diff, se).pdf
    # loss when the effect is bad for us: integrate max(0, -sign * delta) over the posterior
    loss, _ = integrate.quad(lambda d: max(0.0, -sign * d) * density(d), diff - 12 * se, diff + 12 * se,
                             points=[0.0], limit=200)
    assert result.expected_loss == pytest.approx(loss, rel=1e-7, abs=1e-12)


def test_lower_is_better_flips_chance_to_beat():
    better_up = bayesian_compare(-0.2, 0.1, higher_is_better=True)
    better_down = bayesian_compare(-0.2, 0.1, higher_is_better=False)
    assert better_up.chance_to_beat_control + better_down.chance_to_beat_control == pytest.approx(1.0)
    assert better_down.chance_to_beat_control > 0.97
    assert better_down.expected_loss < better_up.expected_loss


def test_normal_prior_matches_conjugate_update_by_monte_carlo(rng):
    diff, se, m0, s0 = 1.0, 0.5, 0.0, 0.5
    result = bayesian_compare(diff, se, prior_mean=m0, prior_sd=s0)
    # posterior N(0.5, 0.125): check against importance sampling from the prior
    delta = rng.normal(m0, s0, 400_000)
    weights = stats.norm.pdf(diff, loc=delta, scale=se)
    weights /= weights.sum()
    assert result.chance_to_beat_control == pytest.approx(float(weights[delta > 0].sum()), abs=0.005)
    assert result.expected_loss == pytest.approx(float((weights * np.maximum(0, -delta)).sum()), rel=0.03)
    centre = (result.ci_low + result.ci_high) / 2
    assert centre == pytest.approx(0.5, rel=1e-12)
    assert "normal prior" in result.prior


def test_a_tight_prior_at_zero_shrinks_the_effect():
    flat, skeptical = bayesian_compare(0.4, 0.2), bayesian_compare(0.4, 0.2, prior_sd=0.1)
    assert skeptical.chance_to_beat_control < flat.chance_to_beat_control
    assert skeptical.ci_high < flat.ci_high


def test_undefined_inputs_give_nan_and_invalid_prior_raises():
    result = bayesian_compare(0.1, math.nan)
    assert math.isnan(result.chance_to_beat_control) and math.isnan(result.expected_loss)
    assert math.isnan(bayesian_compare(0.1, 0.0).ci_low)
    with pytest.raises(ValueError):
        bayesian_compare(0.1, 0.1, prior_sd=0.0)
