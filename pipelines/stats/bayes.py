"""Bayesian read-out of an effect estimate under a Gaussian approximation.

The likelihood of the true effect ``delta`` given the estimate is taken as ``diff ~ N(delta, se^2)`` (the
same large-sample normal approximation the frequentist tests use, as in GrowthBook's ``gbstats`` Bayesian
engine; expected loss as the decision quantity follows Stucchio 2015, "Bayesian A/B Testing at VWO").
With a normal prior ``N(m0, s0^2)`` the posterior is normal with precision-weighted mean (conjugate
normal-normal update):

    1 / s1^2 = 1 / s0^2 + 1 / se^2,     m1 = s1^2 (m0 / s0^2 + diff / se^2)

A flat prior (``prior_sd = inf``, the default) gives ``N(diff, se^2)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# scipy.special's functions are what scipy.stats.norm and chi2 call (ndtr, ndtri, chdtrc), without
# importing scipy.stats (~1.5 s at every start of `nudge`)
import numpy as np
from scipy import special

__all__ = ["BayesianEstimate", "bayesian_compare"]


def _normal_density(z: float) -> float:
    """The standard normal density, computed as scipy.stats.norm.pdf computes it (same value to the last bit)."""
    x = np.asarray([z], dtype=np.float64)  # numpy's array loop, as scipy's (its scalar path may differ by an ulp)
    return float((np.exp(-x**2 / 2.0) / np.sqrt(2 * np.pi))[0])


@dataclass(frozen=True)
class BayesianEstimate:
    """Posterior summary of the effect ``delta`` (variant minus control, in the metric's units).

    Attributes:
        chance_to_beat_control: Posterior probability that the variant is better than control:
            ``P(delta > 0)`` when higher is better, ``P(delta < 0)`` otherwise.
        expected_loss: Expected loss of shipping the variant, ``E[max(0, -g)]`` where ``g`` is the effect
            signed so that positive is good - the average shortfall in the metric's units if the variant
            is in fact worse. 0 means no risk.
        prior: Human-readable statement of the prior used.
        ci_low: Lower end of the equal-tailed ``1 - alpha`` posterior credible interval of ``delta``.
        ci_high: Upper end of that interval.
    """

    chance_to_beat_control: float
    expected_loss: float
    prior: str
    ci_low: float
    ci_high: float


def bayesian_compare(
    diff: float,
    se: float,
    *,
    higher_is_better: bool = True,
    prior_mean: float = 0.0,
    prior_sd: float = math.inf,
    alpha: float = 0.05,
) -> BayesianEstimate:
    """Chance to beat control, expected loss and credible interval for a normal posterior.

    With the posterior ``delta ~ N(m1, s1^2)`` (module docstring) and ``g = delta`` (or ``-delta`` when
    lower is better, ``mu_g = +/- m1``):

        chance_to_beat_control = Phi(mu_g / s1)
        expected_loss = E[max(0, -g)] = s1 phi(mu_g / s1) - mu_g Phi(-mu_g / s1)

    (the normal partial expectation, a.k.a. the unit normal loss function). Non-finite or non-positive ``se``
    gives NaN fields.
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if not prior_sd > 0:
        raise ValueError(f"prior_sd must be positive (inf for a flat prior), got {prior_sd}")
    if math.isinf(prior_sd):
        prior = "flat (improper uniform) prior on the effect"
    else:
        prior = f"normal prior on the effect: mean {prior_mean:g}, sd {prior_sd:g}"
    if not (math.isfinite(diff) and math.isfinite(se) and se > 0):
        nan = math.nan
        return BayesianEstimate(nan, nan, prior, nan, nan)

    if math.isinf(prior_sd):
        post_mean, post_sd = diff, se
    else:
        precision = 1.0 / prior_sd**2 + 1.0 / se**2
        post_sd = math.sqrt(1.0 / precision)
        post_mean = (prior_mean / prior_sd**2 + diff / se**2) / precision

    mu_good = post_mean if higher_is_better else -post_mean
    z = mu_good / post_sd
    chance = float(special.ndtr(z))
    loss = float(post_sd * _normal_density(z) - mu_good * special.ndtr(-z))
    critical = float(special.ndtri(1.0 - alpha / 2.0))
    return BayesianEstimate(
        chance_to_beat_control=chance,
        expected_loss=max(loss, 0.0),
        prior=prior,
        ci_low=post_mean - critical * post_sd,
        ci_high=post_mean + critical * post_sd,
    )
