"""An always-valid p-value for exact (count) tests: the beta-binomial mixture martingale.

Under "no difference" and independent arms, each of the ``k_v + k_c`` events (or units with the rarer outcome)
lands in the variant arm with probability ``pi0`` (its share of the exposure or of the units), independently of
the others - a Bernoulli sequence in the order the events happen. Mixing the likelihood ratio of the
alternatives ``pi`` over a prior ``Beta(c pi0, c (1 - pi0))`` gives a nonnegative martingale under the null
(Robbins 1970, "Statistical methods related to the law of the iterated logarithm"; the two-category case of the
Dirichlet-multinomial mixture of Lindon & Malek 2022, "Anytime-valid inference for multinomial count data"):

    M = B(c pi0 + k_v, c (1 - pi0) + k_c) / B(c pi0, c (1 - pi0)) / (pi0^k_v (1 - pi0)^k_c)

By Ville's inequality ``P(M ever reaches 1/alpha) <= alpha``, so ``min(1, 1/M)`` is a p-value that stays valid
however often it is looked at - the exact tests' counterpart of the confidence sequence in
:mod:`pipelines.stats.sequential`. ``c = 2`` makes the prior uniform for equal arms.
"""

from __future__ import annotations

import math

from scipy.special import betaln

__all__ = ["CONCENTRATION", "mixture_p_value"]

CONCENTRATION = 2.0
"""Prior concentration ``c``: Beta(1, 1) (uniform) when the arms are equal."""


def mixture_p_value(k_variant: float, k_control: float, pi0: float, *, concentration: float = CONCENTRATION) -> float:
    """Always-valid p-value of "the events split between the arms as ``pi0`` says" (see the module docstring).

    ``k_variant`` and ``k_control`` are the events per arm, ``pi0`` the variant's share under the null. NaN when
    ``pi0`` is not in (0, 1) or a count is negative; 1 when there are no events.
    """
    if not 0.0 < pi0 < 1.0 or k_variant < 0 or k_control < 0 or not concentration > 0:
        return math.nan
    a, b = concentration * pi0, concentration * (1.0 - pi0)
    log_m = (betaln(a + k_variant, b + k_control) - betaln(a, b)
             - k_variant * math.log(pi0) - k_control * math.log1p(-pi0))
    return float(min(1.0, math.exp(-log_m)))
