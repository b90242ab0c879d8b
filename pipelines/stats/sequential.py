"""Always-valid (anytime) confidence sequences for an effect monitored over time.

A fixed-horizon 95 % interval recomputed at every daily look excludes a true zero far more often than
5 % of the time ("peeking"). A confidence sequence is a sequence of intervals that covers the true effect
at *all* looks simultaneously with probability ``>= 1 - alpha`` (asymptotically), so it may be checked
every day and acted on whenever it excludes 0.

Formula: the asymptotic confidence sequence (AsympCS) with the two-sided normal-mixture boundary of
Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas, "Time-uniform central limit theory and asymptotic
confidence sequences", Annals of Statistics 2024 (the Gaussian-mixture AsympCS; the same margin as the
authors' R package ``drconfseq``, ``std_conjmix_margin``). For an estimate that is a mean of ``t``
per-unit influence values with standard deviation ``sigma``:

    C_t = diff +/- sigma * sqrt( 2 (t rho^2 + 1) / (t^2 rho^2) * log( sqrt(t rho^2 + 1) / alpha ) )

``rho > 0`` is a tuning parameter that only affects *where* the sequence is tightest. Minimising the
width at ``t = t*`` gives ``t* rho^2 + 1 = u`` with ``u - log u = 1 - 2 log alpha``, i.e.

    rho^2 = ( -W_{-1}(-alpha^2 / e) - 1 ) / t*

with ``W_{-1}`` the lower branch of the Lambert W function (the paper's approximation
``rho^2 ~= (-2 log alpha + log(1 - 2 log alpha)) / t*`` is the first terms of its asymptotic expansion).
"""

from __future__ import annotations

import math

from scipy.special import lambertw

__all__ = ["always_valid_p_value", "confidence_sequence", "confidence_sequence_margin", "optimal_rho_squared"]


def _check_alpha(alpha: float) -> None:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")


def optimal_rho_squared(tuning_n: float, alpha: float = 0.05) -> float:
    """The ``rho^2`` that makes the normal-mixture boundary tightest at ``t = tuning_n``.

    ``rho^2 = (-W_{-1}(-alpha^2 / e) - 1) / tuning_n`` (see the module docstring).
    """
    _check_alpha(alpha)
    if not tuning_n > 0:
        raise ValueError(f"tuning_n must be positive, got {tuning_n}")
    u = -float(lambertw(-alpha * alpha / math.e, k=-1).real)
    return (u - 1.0) / tuning_n


def confidence_sequence_margin(n: float, *, alpha: float = 0.05, tuning_n: float = 10_000) -> float:
    """Half-width of the AsympCS for a unit-variance mean of ``n`` observations.

    ``sqrt(2 (n rho^2 + 1) / (n^2 rho^2) * log(sqrt(n rho^2 + 1) / alpha))`` with ``rho^2`` from
    ``optimal_rho_squared(tuning_n, alpha)`` (Waudby-Smith et al. 2024). Multiply by ``sigma``.
    """
    rho2 = optimal_rho_squared(tuning_n, alpha)
    if not n > 0:
        return math.nan
    nr = n * rho2
    return math.sqrt(2.0 * (nr + 1.0) / (n * nr) * math.log(math.sqrt(nr + 1.0) / alpha))


def confidence_sequence(
    diff: float, se: float, n: int, *, alpha: float = 0.05, tuning_n: int = 10_000
) -> tuple[float, float]:
    """Always-valid ``1 - alpha`` confidence sequence for an effect at the current look.

    Args:
        diff: The current estimate of the effect (e.g. ``EffectEstimate.diff``).
        se: Its current standard error (e.g. ``EffectEstimate.se``).
        n: The number of units behind the estimate at this look (both arms together). The per-unit
            standard deviation is taken as ``sigma = se * sqrt(n)`` (for a difference of means with a
            fixed allocation ``se^2 = Var(influence) / n``).
        alpha: Error probability over *all* looks together.
        tuning_n: The sample size at which the sequence is made tightest (set it near the planned
            final sample size).

    Returns:
        ``(low, high)`` = ``diff -/+ sigma * margin(n)`` with the Waudby-Smith et al. (2024) normal-mixture
        margin documented in the module docstring. ``(nan, nan)`` when ``n < 1`` or ``se`` is not a
        finite positive number (a zero standard error would give a zero-width interval, which is not a
        valid confidence statement). For the usual alphas it is wider than the fixed-horizon interval at
        every ``n`` - the price of being allowed to look every day. Being asymptotic, it relies on the
        same normal approximation as the fixed-horizon tests, so it is unreliable with very few events
        (e.g. results whose ``method`` is ``fisher_exact``).
    """
    if n < 1 or not (math.isfinite(se) and se > 0) or not math.isfinite(diff):
        _check_alpha(alpha)
        return math.nan, math.nan
    sigma = se * math.sqrt(n)
    half_width = sigma * confidence_sequence_margin(n, alpha=alpha, tuning_n=tuning_n)
    return diff - half_width, diff + half_width


def always_valid_p_value(
    diff: float, se: float, n: int, *, alpha: float = 0.05, tuning_n: int = 10_000
) -> float:
    """The always-valid p-value that goes with :func:`confidence_sequence`: the smallest level at which the
    sequence (same ``rho``, tuned for ``alpha`` at ``tuning_n``) excludes 0.

    Solving ``|diff| = sigma * margin(n)`` for the level in the logarithm of the margin gives, with
    ``z = diff / se`` and ``r = n rho^2``,

        p = min(1, sqrt(r + 1) * exp(-z^2 r / (2 (r + 1))))

    the reciprocal of the normal-mixture likelihood ratio (Robbins 1970; Johari, Koomen, Pekelis & Walsh 2017,
    "Peeking at A/B tests", the mixture SPRT). So ``p < alpha`` exactly when the ``1 - alpha`` sequence
    excludes 0. NaN under the same conditions as :func:`confidence_sequence` returns NaN.
    """
    if n < 1 or not (math.isfinite(se) and se > 0) or not math.isfinite(diff):
        _check_alpha(alpha)
        return math.nan
    r = n * optimal_rho_squared(tuning_n, alpha)
    z = diff / se
    return min(1.0, math.sqrt(r + 1.0) * math.exp(-z * z * r / (2.0 * (r + 1.0))))
