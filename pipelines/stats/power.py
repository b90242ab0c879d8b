"""Sample size and minimum detectable effect for a two-sided two-arm test (normal approximation).

Variances are *per-unit* variances, exactly the ``variance`` property of the statistics in
``pipelines.stats.statistics`` (for a ratio metric the delta-method variance times ``n``), so an
earlier experiment's control arm can be plugged in directly.

The textbook formula (e.g. Chow, Shao & Wang, "Sample Size Calculations in Clinical Research", 2008,
two-sample tests of means; Kohavi, Tang & Xu 2020, "Trustworthy Online Controlled Experiments"): the test of
``H0: delta = 0`` at level ``alpha`` has power ``1 - beta`` against ``|delta| = mde`` when

    mde = (z_{1 - alpha/2} + z_{1 - beta}) * sqrt(var_c / n_c + var_v / n_v).

The probability of rejecting in the wrong direction is ignored (it is below ``alpha / 2``, and
``< 1e-5`` at the usual settings).
"""

from __future__ import annotations

import math

# scipy.special's functions are what scipy.stats.norm and chi2 call (ndtr, ndtri, chdtrc), without
# importing scipy.stats (~1.5 s at every start of `nudge`)
from scipy import special

__all__ = ["minimum_detectable_effect", "power_of_test", "users_per_arm"]


def _z_sum(alpha: float, power: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1), got {power}")
    return float(special.ndtri(1.0 - alpha / 2.0) + special.ndtri(power))


def _check_variance(name: str, value: float) -> None:
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite non-negative number, got {value}")


def users_per_arm(
    mde: float,
    variance_control: float,
    variance_variant: float | None = None,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation_ratio: float = 1.0,
) -> int:
    """Users needed in the control arm to detect an absolute effect of ``mde`` (two-sided).

    ``n_c = (z_{1-alpha/2} + z_{power})^2 (var_c + var_v / k) / mde^2`` rounded up, with
    ``k = allocation_ratio = n_variant / n_control``; the variant arm then needs ``ceil(k * n_c)`` users
    (with the default ``k = 1`` both arms need the returned number). ``variance_variant`` defaults to
    ``variance_control``. At least 2 users are always required (a variance must be estimable).
    """
    if not (math.isfinite(mde) and mde != 0):
        raise ValueError(f"mde must be a finite non-zero effect, got {mde}")
    if not (math.isfinite(allocation_ratio) and allocation_ratio > 0):
        raise ValueError(f"allocation_ratio must be positive, got {allocation_ratio}")
    var_v = variance_control if variance_variant is None else variance_variant
    _check_variance("variance_control", variance_control)
    _check_variance("variance_variant", var_v)
    z = _z_sum(alpha, power)
    n_control = z * z * (variance_control + var_v / allocation_ratio) / (mde * mde)
    # guard against 1000.0000000000001 becoming 1001 through floating-point noise
    return max(math.ceil(n_control - 1e-9), 2)


def minimum_detectable_effect(
    n_control: int,
    n_variant: int,
    variance_control: float,
    variance_variant: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """Smallest absolute effect detected with probability ``power`` by a two-sided level-``alpha`` test.

    ``mde = (z_{1-alpha/2} + z_{power}) * sqrt(var_c / n_c + var_v / n_v)``. NaN when an arm has no users.
    """
    _check_variance("variance_control", variance_control)
    _check_variance("variance_variant", variance_variant)
    if n_control < 0 or n_variant < 0:
        raise ValueError("user counts must be non-negative")
    z = _z_sum(alpha, power)
    if n_control == 0 or n_variant == 0:
        return math.nan
    return z * math.sqrt(variance_control / n_control + variance_variant / n_variant)


def power_of_test(
    effect: float,
    n_control: int,
    n_variant: int,
    variance_control: float,
    variance_variant: float,
    *,
    alpha: float = 0.05,
) -> float:
    """Probability that the two-sided level-``alpha`` test rejects ``H0: delta = 0`` when the true absolute
    difference is ``effect``, with ``n_control`` and ``n_variant`` users.

    ``Phi(|effect| / se - z_{1-alpha/2}) + Phi(-|effect| / se - z_{1-alpha/2})`` with
    ``se = sqrt(var_c / n_c + var_v / n_v)``: both tails are counted, so a null effect gives ``alpha``; at
    ``effect = minimum_detectable_effect(...)`` it is the requested power (plus the negligible opposite tail).
    NaN when an arm has no users; with zero variance, 1 for any non-zero effect.
    """
    _check_variance("variance_control", variance_control)
    _check_variance("variance_variant", variance_variant)
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if n_control < 0 or n_variant < 0:
        raise ValueError("user counts must be non-negative")
    if n_control == 0 or n_variant == 0:
        return math.nan
    se = math.sqrt(variance_control / n_control + variance_variant / n_variant)
    if se == 0:
        return 1.0 if effect else alpha
    z = float(special.ndtri(1.0 - alpha / 2.0))
    return float(special.ndtr(abs(effect) / se - z) + special.ndtr(-abs(effect) / se - z))
