"""Sample size, minimum detectable effect and power against statsmodels' power solvers."""

from __future__ import annotations

import math

import pytest
from statsmodels.stats.power import NormalIndPower, tt_ind_solve_power

from pipelines.stats import minimum_detectable_effect, power_of_test, users_per_arm


@pytest.mark.parametrize(("mde", "sd"), [(0.1, 1.0), (0.02, 0.45), (0.5, 3.0)])
@pytest.mark.parametrize("ratio", [1.0, 2.0, 0.5])
@pytest.mark.parametrize(("alpha", "power"), [(0.05, 0.8), (0.01, 0.9)])
def test_users_per_arm_matches_statsmodels_normal_ind_power(mde, sd, ratio, alpha, power):
    expected = NormalIndPower().solve_power(effect_size=mde / sd, alpha=alpha, power=power, ratio=ratio)
    n = users_per_arm(mde, sd**2, alpha=alpha, power=power, allocation_ratio=ratio)
    assert n == math.ceil(expected) or n == math.ceil(expected) - 1  # statsmodels adds the opposite tail


def test_users_per_arm_is_close_to_t_test_solver():
    expected = tt_ind_solve_power(effect_size=0.2, alpha=0.05, power=0.8, ratio=1.0)
    assert users_per_arm(0.2, 1.0) == pytest.approx(expected, abs=2)


def test_users_per_arm_with_unequal_variances_uses_both():
    equal = users_per_arm(0.1, 1.0)
    unequal = users_per_arm(0.1, 1.0, 3.0)
    assert unequal == math.ceil((1.959963985 + 0.841621234) ** 2 * 4.0 / 0.01)
    assert unequal == pytest.approx(2 * equal, abs=2)


@pytest.mark.parametrize(("n_c", "n_v"), [(1_000, 1_000), (5_000, 2_500)])
def test_mde_matches_statsmodels_and_round_trips_with_users_per_arm(n_c, n_v):
    sd = 2.0
    effect = NormalIndPower().solve_power(nobs1=n_c, alpha=0.05, power=0.8, ratio=n_v / n_c)
    mde = minimum_detectable_effect(n_c, n_v, sd**2, sd**2)
    assert mde == pytest.approx(effect * sd, rel=1e-4)  # statsmodels also counts the opposite tail
    assert users_per_arm(mde, sd**2, allocation_ratio=n_v / n_c) == n_c


def test_invalid_power_inputs_raise_and_empty_arm_gives_nan():
    with pytest.raises(ValueError):
        users_per_arm(0.0, 1.0)
    with pytest.raises(ValueError):
        users_per_arm(0.1, -1.0)
    with pytest.raises(ValueError):
        users_per_arm(0.1, 1.0, power=1.0)
    assert math.isnan(minimum_detectable_effect(0, 10, 1.0, 1.0))
    assert users_per_arm(0.1, 0.0) == 2


@pytest.mark.parametrize(("effect", "sd"), [(0.1, 1.0), (-0.03, 0.45), (0.0, 2.0), (0.4, 3.0)])
@pytest.mark.parametrize(("n_c", "n_v"), [(500, 500), (2_000, 1_000), (30, 90)])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_power_of_test_matches_statsmodels_normal_ind_power(effect, sd, n_c, n_v, alpha):
    expected = NormalIndPower().power(effect_size=effect / sd, nobs1=n_c, alpha=alpha, ratio=n_v / n_c,
                                      alternative="two-sided")
    assert power_of_test(effect, n_c, n_v, sd**2, sd**2, alpha=alpha) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(("var_c", "var_v"), [(1.0, 1.0), (0.16, 0.21), (4.0, 3.0)])
def test_power_at_the_mde_is_the_requested_power(var_c, var_v):
    mde = minimum_detectable_effect(800, 1_200, var_c, var_v, alpha=0.05, power=0.8)
    # the formula ignores the opposite tail, which adds less than 1e-5 here
    assert power_of_test(mde, 800, 1_200, var_c, var_v) == pytest.approx(0.8, abs=1e-5)
    assert power_of_test(-mde, 800, 1_200, var_c, var_v) == power_of_test(mde, 800, 1_200, var_c, var_v)
    assert power_of_test(0.0, 800, 1_200, var_c, var_v) == pytest.approx(0.05, rel=1e-12)


def test_power_of_test_edge_cases():
    assert math.isnan(power_of_test(0.1, 0, 10, 1.0, 1.0))
    assert power_of_test(0.1, 10, 10, 0.0, 0.0) == 1.0 and power_of_test(0.0, 10, 10, 0.0, 0.0) == 0.05
    with pytest.raises(ValueError):
        power_of_test(0.1, 10, 10, -1.0, 1.0)
    with pytest.raises(ValueError):
        power_of_test(0.1, 10, 10, 1.0, 1.0, alpha=0.0)
