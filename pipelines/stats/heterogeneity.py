"""Does the effect differ between segments? Cochran's Q over the per-segment effects.

Each value of a segment dimension (each country, each platform, ...) gives an effect ``d_i`` with standard error
``s_i`` from its own comparison. If the effect were the same everywhere, the ``d_i`` would differ only by their
sampling error; Cochran's (1954, "The combination of estimates from different experiments", Biometrics 10) test
of homogeneity measures how much more they differ:

    w_i = 1 / s_i^2,   d_bar = sum w_i d_i / sum w_i,   Q = sum w_i (d_i - d_bar)^2  ~  chi2(k - 1)

under homogeneity, with ``k`` the segments that have a valid estimate (a finite effect with a positive, finite
standard error from a normal-approximation test). The segments are disjoint sets of users, so their estimates
are independent. Q is the Wald test of the segment-by-arm interaction in a weighted least-squares regression of
the effects on segment indicators (statsmodels' ``combine_effects`` reports the same Q).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# scipy.special's functions are what scipy.stats.norm and chi2 call (ndtr, ndtri, chdtrc), without
# importing scipy.stats (~1.5 s at every start of `nudge`)
from scipy import special

__all__ = ["HeterogeneityTest", "cochran_q"]


@dataclass(frozen=True)
class HeterogeneityTest:
    """Result of Cochran's Q test over the segments of one dimension.

    Attributes:
        statistic: Cochran's Q; NaN when fewer than 2 segments have a valid estimate.
        df: Degrees of freedom, ``k - 1`` (0 when undefined).
        p_value: Upper tail of chi-square with ``df`` degrees of freedom at ``statistic``: the chance of effects
            this different if the effect were the same in every segment. NaN when undefined.
        segments: ``k``, the segments that entered the test.
        pooled_effect: The inverse-variance weighted mean effect ``d_bar`` (NaN when no segment entered).
        method: ``cochran_q``, or ``cochran_q (undefined: ...)`` saying why there is no test.
    """

    statistic: float
    df: int
    p_value: float
    segments: int
    pooled_effect: float
    method: str


def cochran_q(effects: Sequence[float], standard_errors: Sequence[float]) -> HeterogeneityTest:
    """Cochran's Q over the segments whose effect is finite and whose standard error is finite and positive."""
    if len(effects) != len(standard_errors):
        raise ValueError("effects and standard_errors must have the same length")
    valid = [(d, s) for d, s in zip(effects, standard_errors, strict=True)
             if d is not None and s is not None and math.isfinite(d) and math.isfinite(s) and s > 0]
    k = len(valid)
    weights = [1.0 / (s * s) for _, s in valid]
    pooled = sum(w * d for w, (d, _) in zip(weights, valid, strict=True)) / sum(weights) if k else math.nan
    if k < 2:
        return HeterogeneityTest(math.nan, 0, math.nan, k, pooled,
                                 f"cochran_q (undefined: {k} segment{'' if k == 1 else 's'} with a valid estimate, "
                                 "at least 2 needed)")
    q = sum(w * (d - pooled) ** 2 for w, (d, _) in zip(weights, valid, strict=True))
    return HeterogeneityTest(q, k - 1, float(special.chdtrc(k - 1, q)), k, pooled, "cochran_q")
