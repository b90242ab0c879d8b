"""Guardrails: is a metric shown not to have got worse than a tolerated margin (non-inferiority)?

A guardrail is not meant to improve; the question is whether the prompt harmed it by more than the margin the
experiment tolerates (e.g. at most 2 % fewer comments posted per user). On the scale of the relative change,
with ``L = log(value_variant / value_control)`` and its delta-method standard error ``s``
(:attr:`EffectEstimate.rel_se_log`) and ``L0 = log(1 + margin)``:

* higher is better (margin <= 0): H0 ``L <= L0`` against ``L > L0``, ``p = 1 - Phi((L - L0) / s)``;
* lower is better (margin >= 0): H0 ``L >= L0`` against ``L < L0``, ``p = 1 - Phi((L0 - L) / s)``.

A one-sided test against a margin (Wellek 2010, "Testing statistical hypotheses of equivalence and
noninferiority"); requiring every guardrail to pass is an intersection-union test, so the guardrails need no
multiplicity correction among themselves (Berger 1982; Schultzberg, Kjellin & Rydberg 2024, "Risk-aware product
decisions in A/B tests with multiple metrics", the rule of Spotify's Confidence). Because the nightly job looks
every day, the status also asks the always-valid interval (the confidence sequence of
:mod:`pipelines.stats.sequential` on the log scale) to clear the margin:

* ``held``: ``p < alpha`` and the always-valid relative interval lies entirely on the good side of the margin;
* ``breached``: the always-valid relative interval lies entirely on the bad side of the margin;
* ``not_shown``: neither (too little data to tell);
* ``unknown``: no relative estimate from a normal approximation (e.g. too few events, or control at 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# scipy.special's functions are what scipy.stats.norm and chi2 call (ndtr, ndtri, chdtrc), without
# importing scipy.stats (~1.5 s at every start of `nudge`)
from scipy import special

from pipelines.stats.frequentist import EffectEstimate
from pipelines.stats.sequential import confidence_sequence_margin

__all__ = ["NonInferiority", "non_inferiority"]


@dataclass(frozen=True)
class NonInferiority:
    """A guardrail's non-inferiority test.

    Attributes:
        margin: The tolerated relative change in the bad direction (-0.02: at most 2 % lower).
        p_value: One-sided p-value of "worse than the margin" (fixed horizon); NaN when unknown.
        seq_rel_ci_low: Lower end of the always-valid interval of the relative change.
        seq_rel_ci_high: Upper end of that interval.
        status: ``held``, ``breached``, ``not_shown`` or ``unknown`` (see the module docstring).
    """

    margin: float
    p_value: float
    seq_rel_ci_low: float
    seq_rel_ci_high: float
    status: str


def non_inferiority(est: EffectEstimate, margin: float, *, higher_is_better: bool, alpha: float = 0.05,
                    tuning_n: int = 10_000) -> NonInferiority:
    """Test ``est`` (a normal-approximation comparison) against the relative ``margin``."""
    if higher_is_better and not -1.0 < margin <= 0.0:
        raise ValueError(f"a margin for a metric where higher is better is a drop in (-1, 0], got {margin}")
    if not higher_is_better and not margin >= 0.0:
        raise ValueError(f"a margin for a metric where lower is better is a rise >= 0, got {margin}")
    s, rel = est.rel_se_log, est.rel_diff
    n = est.units_control + est.units_variant
    if rel is None or s is None or not (math.isfinite(s) and s > 0) or not rel > -1.0 or n < 1:
        return NonInferiority(margin, math.nan, math.nan, math.nan, "unknown")
    log_ratio, log_margin = math.log1p(rel), math.log1p(margin)
    z = (log_ratio - log_margin) / s if higher_is_better else (log_margin - log_ratio) / s
    p = float(special.ndtr(-z))
    half = s * math.sqrt(n) * confidence_sequence_margin(n, alpha=alpha, tuning_n=tuning_n)
    low, high = math.expm1(log_ratio - half), math.expm1(log_ratio + half)
    good_side = low > margin if higher_is_better else high < margin
    bad_side = high < margin if higher_is_better else low > margin
    status = "held" if p < alpha and good_side else "breached" if bad_side else "not_shown"
    return NonInferiority(margin, p, low, high, status)
