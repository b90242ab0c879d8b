"""Asymptotic confidence sequence (Waudby-Smith et al. 2024): formula, tuning and basic properties."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from pipelines.stats import confidence_sequence, confidence_sequence_margin, optimal_rho_squared


def _paper_margin(t: float, rho2: float, alpha: float) -> float:
    """The normal-mixture margin written out as in the paper / drconfseq's std_conjmix_margin."""
    return math.sqrt(2 * (t * rho2 + 1) / (t**2 * rho2) * math.log(math.sqrt(t * rho2 + 1) / alpha))


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
@pytest.mark.parametrize("tuning_n", [500, 10_000, 250_000])
def test_rho_minimises_the_width_at_tuning_n(alpha, tuning_n):
    rho2 = optimal_rho_squared(tuning_n, alpha)
    best = optimize.minimize_scalar(
        lambda log_r: _paper_margin(tuning_n, math.exp(log_r), alpha), bounds=(-30, 5), method="bounded",
        options={"xatol": 1e-10},
    )
    assert rho2 == pytest.approx(math.exp(best.x), rel=1e-4)


def test_rho_is_close_to_the_papers_closed_form_approximation():
    alpha, t_star = 0.05, 10_000
    approx = (-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / t_star
    assert optimal_rho_squared(t_star, alpha) == pytest.approx(approx, rel=0.05)


@pytest.mark.parametrize("n", [10, 1_000, 10_000, 1_000_000])
def test_confidence_sequence_matches_formula_with_sigma_from_se(n):
    diff, se, alpha = 0.3, 0.05, 0.05
    rho2 = optimal_rho_squared(10_000, alpha)
    half = se * math.sqrt(n) * _paper_margin(n, rho2, alpha)
    expected = (diff - half, diff + half)
    assert confidence_sequence(diff, se, n, alpha=alpha) == pytest.approx(expected, rel=1e-12)


def test_confidence_sequence_is_wider_than_fixed_horizon_interval_at_every_n():
    ns = np.unique(np.logspace(0, 7, 200).astype(int))
    z = stats.norm.ppf(0.975)
    for n in ns:
        low, high = confidence_sequence(0.0, 1.0, int(n))
        assert high > z and low == pytest.approx(-high)


def test_confidence_sequence_is_tightest_relative_to_fixed_horizon_near_tuning_n():
    ratios = {n: confidence_sequence_margin(n, tuning_n=5_000) * math.sqrt(n) for n in (50, 5_000, 500_000)}
    assert ratios[5_000] < ratios[50] and ratios[5_000] < ratios[500_000]


def test_degenerate_inputs_give_nan_and_bad_alpha_raises():
    assert all(math.isnan(v) for v in confidence_sequence(0.1, math.nan, 100))
    assert all(math.isnan(v) for v in confidence_sequence(0.1, 0.01, 0))
    assert all(math.isnan(v) for v in confidence_sequence(0.1, 0.0, 100))  # no zero-width "certainty"
    with pytest.raises(ValueError):
        confidence_sequence(0.1, 0.01, 100, alpha=0.0)
    with pytest.raises(ValueError):
        optimal_rho_squared(0)


def test_always_valid_p_value_is_below_alpha_exactly_when_the_sequence_excludes_zero():
    from pipelines.stats import always_valid_p_value

    for diff in np.linspace(-0.3, 0.3, 61):
        for n in (50, 800, 20_000):
            se = 0.1 * math.sqrt(800 / n)
            low, high = confidence_sequence(float(diff), se, n)
            p = always_valid_p_value(float(diff), se, n)
            assert (p < 0.05) == (low > 0 or high < 0), (diff, n, p, low, high)
    assert math.isnan(always_valid_p_value(0.1, 0.0, 100))
