"""Count metrics that know when they hold too little information for a normal approximation.

The delta method, Welch's test and CUPED approximate the distribution of a mean over users by a normal one. With
few events that fails: an arm without events has an estimated variance of 0, so "0 events against 4" looks like
a near-certain difference (in an A/A simulation of rare removals, 87 of the 91 runs with a zero arm gave
p < 0.05). :func:`compare_counts` applies this rule (docs/definitions.md §6.1):

1. The *events* of an arm: for a ``rate`` (events per exposure, e.g. removals per posted comment) and a
   ``count`` (events per user, e.g. toxic comments per user) the summed count; for a ``share`` (successes among
   trials, e.g. withdrawn among triggered attempts) the rarer of successes and failures, like Fisher's cells.
2. Every arm has at least :data:`MIN_EVENTS` events: the normal-approximation test of
   :func:`~pipelines.stats.frequentist.compare`, unchanged (no loss of power where counts are large).
3. Otherwise, when the events are independent of each other - no user has more than one event (``rate``,
   ``count``: the sum of squares equals the sum), or every user is one trial (``share``) - an exact test:

   * ``poisson_exact`` for a rate: given ``K = k_c + k_v`` events, ``k_v ~ Binomial(K, pi0)`` with
     ``pi0 = E_v / (E_c + E_v)`` under equal rates (Przyborowski & Wilenski 1940, "Homogeneity of results in
     testing samples from Poisson series"; Gu, Ng, Tang & Schucany 2008, Biometrical Journal 50). Two-sided
     p-value as ``scipy.stats.binomtest``; the rate ratio's interval from the Clopper-Pearson interval of ``pi``,
     ``rho = pi / (1 - pi) * E_c / E_v``; the difference's interval by MOVER (Zou & Donner 2008, "Construction
     of confidence limits about effect measures", Stat. Med. 27) from each arm's exact Poisson interval
     (Garwood 1936).
   * ``fisher_exact`` for a per-user count or a share: the users (= trials) with and without an event, Fisher's
     exact test with Newcombe's interval (:func:`~pipelines.stats.frequentist.compare` on proportions).

4. Otherwise (few events, clustered within users): ``too_few_events`` - no p-value, no interval, no decision.
   Neither test is valid there: the normal approximation lacks events, the exact tests assume independent ones.

Exact results carry the always-valid p-value of :mod:`pipelines.stats.mixture` in ``sequential_p_value``.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import special

from pipelines.stats.frequentist import FISHER_MIN_CELL, EffectEstimate, compare
from pipelines.stats.mixture import mixture_p_value
from pipelines.stats.statistics import (
    NAN,
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    Statistic,
)

__all__ = ["MIN_EVENTS", "Counts", "arm_events", "binomial_two_sided_p", "compare_counts", "poisson_exact"]

Counts = Literal["rate", "count", "share"]

MIN_EVENTS = FISHER_MIN_CELL
"""Events every arm needs for the normal approximation (10). Chosen by simulation (bench/rare_counts.py,
bench/rare_counts.md): with one arm empty the delta method and Welch's test reject 7-10 % of A/A experiments,
with 1-9 events up to 6 %; from 10 events per arm on they stay within sampling error of 5 % in every scenario
tried. The same number as Fisher's cell rule for proportions."""


def _events(stat: Statistic, counts: Counts) -> tuple[float, float]:
    """(events, sum of the squared per-user events) of one arm; for a share, of its rarer outcome."""
    if isinstance(stat, RatioStatistic):
        failures = stat.d_sum - stat.m_sum
        if counts == "share" and failures < stat.m_sum:
            return failures, stat.d_sum_squares - 2.0 * stat.m_d_sum_of_products + stat.m_sum_squares
        return stat.m_sum, stat.m_sum_squares
    if isinstance(stat, RegressionAdjustedStatistic):
        return stat.post_sum, stat.post_sum_squares
    if isinstance(stat, SampleMeanStatistic):
        return stat.sum, stat.sum_squares
    raise TypeError(f"{type(stat).__name__} is not a count statistic")


def arm_events(stat: Statistic, counts: Counts) -> float:
    """The events of one arm in the sense of the rule (the rarer of successes and failures for a share)."""
    return _events(stat, counts)[0]


def _independent(stat: Statistic, counts: Counts) -> bool:
    """No user holds more than one event (rate, count), or every user is a single trial (share)."""
    if counts == "share":
        assert isinstance(stat, RatioStatistic)
        return stat.d_sum == stat.n and stat.d_sum_squares == stat.n
    k, k_squares = _events(stat, counts)
    return k_squares == k


def compare_counts(control: Statistic, variant: Statistic, *, counts: Counts, alpha: float = 0.05) -> EffectEstimate:
    """Compare two arms of a count metric by the rule of the module docstring."""
    if isinstance(control, ProportionStatistic):
        return compare(control, variant, alpha=alpha)  # Fisher's cell rule is the same rule
    if counts == "share" and not isinstance(control, RatioStatistic):
        raise TypeError("a share is a ratio of successes to trials (RatioStatistic)")
    plain = compare(control, variant, alpha=alpha)
    k_c, k_v = arm_events(control, counts), arm_events(variant, counts)
    if min(k_c, k_v) >= MIN_EVENTS or _undefined_whatever_the_counts(control, variant):
        return plain
    if k_c + k_v == 0:
        return _too_few(plain, "no events in either arm")
    if not (_independent(control, counts) and _independent(variant, counts)):
        return _too_few(plain, f"fewer than {MIN_EVENTS} events in an arm, and they cluster within users")
    if counts == "rate":
        assert isinstance(control, RatioStatistic) and isinstance(variant, RatioStatistic)
        return poisson_exact(control, variant, alpha=alpha)
    # one trial per user, or at most one event per user: the metric is the share of users with an event
    return compare(_as_proportion(control), _as_proportion(variant), alpha=alpha)


def _undefined_whatever_the_counts(control: Statistic, variant: Statistic) -> bool:
    """Fewer than 2 users in an arm, or a ratio without exposure: ``compare`` says so, and so do we."""
    if control.n < 2 or variant.n < 2:
        return True
    return isinstance(control, RatioStatistic) and isinstance(variant, RatioStatistic) and (
        control.d_sum == 0 or variant.d_sum == 0)


def _as_proportion(stat: Statistic) -> ProportionStatistic:
    if isinstance(stat, RatioStatistic):
        return ProportionStatistic(stat.n, stat.m_sum)
    if isinstance(stat, RegressionAdjustedStatistic):
        return ProportionStatistic(stat.n, stat.post_sum)
    assert isinstance(stat, SampleMeanStatistic)
    return ProportionStatistic(stat.n, stat.sum)


def _too_few(plain: EffectEstimate, reason: str) -> EffectEstimate:
    return EffectEstimate(
        method=f"too_few_events ({reason})", value_control=plain.value_control, value_variant=plain.value_variant,
        diff=plain.diff, se=NAN, ci_low=NAN, ci_high=NAN, rel_diff=plain.rel_diff,
        rel_ci_low=None if plain.rel_diff is None else NAN, rel_ci_high=None if plain.rel_diff is None else NAN,
        p_value=NAN, variance_reduction=None, units_control=plain.units_control, units_variant=plain.units_variant,
    )


def _garwood(k: float, exposure: float, alpha: float) -> tuple[float, float]:
    """Exact (Garwood 1936) interval of a Poisson rate: the ``alpha / 2`` quantile of Gamma(k) and the
    ``1 - alpha / 2`` quantile of Gamma(k + 1) (= chi-square quantiles of 2k and 2k + 2 df, halved), over E."""
    low = float(special.gammaincinv(k, alpha / 2.0)) if k > 0 else 0.0
    return low / exposure, float(special.gammaincinv(k + 1.0, 1.0 - alpha / 2.0)) / exposure


def _clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """Clopper & Pearson (1934) interval of a binomial proportion from the beta quantiles."""
    low = float(special.betaincinv(k, n - k + 1, alpha / 2.0)) if k > 0 else 0.0
    high = float(special.betaincinv(k + 1, n - k, 1.0 - alpha / 2.0)) if k < n else 1.0
    return low, high


def binomial_two_sided_p(k: int, n: int, p: float) -> float:
    """Two-sided exact binomial p-value: the probability of every outcome no more likely than ``k`` (the
    "minlike" rule of R's binom.test and ``scipy.stats.binomtest``, with its relative tolerance 1e-7)."""
    x = np.arange(n + 1)
    log_pmf = (special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
               + special.xlogy(x, p) + special.xlog1py(n - x, -p))
    pmf = np.exp(log_pmf)
    return float(min(1.0, pmf[pmf <= pmf[k] * (1.0 + 1e-7)].sum()))


def poisson_exact(control: RatioStatistic, variant: RatioStatistic, *, alpha: float = 0.05) -> EffectEstimate:
    """The conditional binomial test of two Poisson rates ``m_sum / d_sum`` (see the module docstring).

    ``se`` is the unconditional Poisson standard error ``sqrt(k_c / E_c^2 + k_v / E_v^2)``, for information only.
    The rate ratio's interval gives ``rel_ci_*``; it is None when control has no events (no relative change).
    """
    k_c, e_c, k_v, e_v = round(control.m_sum), control.d_sum, round(variant.m_sum), variant.d_sum
    value_c, value_v = control.mean, variant.mean
    diff = value_v - value_c
    if not (e_c > 0 and e_v > 0) or k_c + k_v == 0:
        raise ValueError("poisson_exact needs exposure in both arms and at least one event")
    pi0 = e_v / (e_c + e_v)
    rel: float | None = None
    rel_low: float | None = None
    rel_high: float | None = None
    if k_c > 0:
        pi_low, pi_high = _clopper_pearson(k_v, k_c + k_v, alpha)  # pi_high < 1 as control has events
        rel = diff / value_c
        rel_low = pi_low / (1.0 - pi_low) * e_c / e_v - 1.0
        rel_high = pi_high / (1.0 - pi_high) * e_c / e_v - 1.0
    low_c, high_c = _garwood(k_c, e_c, alpha)
    low_v, high_v = _garwood(k_v, e_v, alpha)
    return EffectEstimate(
        method="poisson_exact", value_control=value_c, value_variant=value_v, diff=diff,
        se=math.sqrt(k_c / e_c**2 + k_v / e_v**2),
        ci_low=diff - math.hypot(value_v - low_v, high_c - value_c),
        ci_high=diff + math.hypot(high_v - value_v, value_c - low_c),
        rel_diff=rel, rel_ci_low=rel_low, rel_ci_high=rel_high,
        p_value=binomial_two_sided_p(k_v, k_c + k_v, pi0),
        variance_reduction=None, units_control=control.n, units_variant=variant.n,
        sequential_p_value=mixture_p_value(k_v, k_c, pi0),
    )
