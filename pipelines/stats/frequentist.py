"""Fixed-horizon two-arm comparisons from sufficient statistics.

``compare(control, variant)`` picks the test from the statistic type:

=============================== ================= ==============================================
statistic                       ``method``        test
=============================== ================= ==============================================
``ProportionStatistic``         ``z_test``        two-proportion z-test, unpooled (Wald) SE
                                ``fisher_exact``  ... when any success/failure cell is < 10
``RatioStatistic``              ``delta_method``  delta method over users, normal approximation
``SampleMeanStatistic``         ``welch_t``       Welch t-test, Welch-Satterthwaite df
``RegressionAdjustedStatistic`` ``cuped_welch_t`` CUPED with pooled theta, then Welch
=============================== ================= ==============================================

Degenerate inputs never raise. When the test is undefined - fewer than 2 units in an arm, a ratio
denominator summing to 0, or a standard error of 0 (no variation in either arm) - the inferential fields
(``se``, ``ci_low``, ``ci_high``, ``p_value``, the relative interval) are NaN and ``method`` reads
``"<method> (undefined: <reason>)"``; the observed values and ``diff`` are still filled in when they exist.
Every ``method`` string starts with one of the names in the table above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from pipelines.stats.intervals import newcombe_interval, wilson_interval
from pipelines.stats.mixture import mixture_p_value
from pipelines.stats.statistics import (
    NAN,
    ProportionStatistic,
    RatioStatistic,
    RegressionAdjustedStatistic,
    SampleMeanStatistic,
    Statistic,
)

__all__ = [
    "FISHER_MIN_CELL",
    "EffectEstimate",
    "compare",
    "newcombe_interval",
    "wilson_interval",
]

FISHER_MIN_CELL = 10
"""Below this many successes or failures in any arm, proportions use Fisher's exact test."""


@dataclass(frozen=True)
class EffectEstimate:
    """Result of comparing a variant arm with the control arm on one metric.

    Attributes:
        method: The test used (see the module docstring); says why when the test is undefined.
        value_control: The metric in the control arm as observed (no adjustment).
        value_variant: The metric in the variant arm as observed (no adjustment).
        diff: Estimated absolute effect, ``value_variant - value_control``; for CUPED the
            regression-adjusted difference ``(ybar_v - theta xbar_v) - (ybar_c - theta xbar_c)``.
        se: Standard error of ``diff`` (for proportions the unpooled Wald SE, also under Fisher).
        ci_low: Lower end of the two-sided ``1 - alpha`` confidence interval for the true effect.
        ci_high: Upper end of that interval. For ``fisher_exact`` it is the Newcombe (1998) score
            interval, since the Wald interval is unreliable with so few events.
        rel_diff: Relative effect ``diff / value_control``; None when ``value_control`` is 0.
        rel_ci_low: Lower end of the ``1 - alpha`` interval for the relative effect, from the delta
            method on the log of the ratio ``(value_control + diff) / value_control`` (Katz et al. 1978 for
            proportions), centred on ``rel_diff``. None when ``rel_diff`` is None; NaN when the ratio is
            not positive (the log is undefined) or the test is undefined.
        rel_ci_high: Upper end of that relative interval.
        p_value: Two-sided p-value of "no difference", fixed horizon, not adjusted for multiplicity.
        variance_reduction: For CUPED, ``1 - Var(adjusted diff) / Var(unadjusted diff)`` (share of the
            variance of the estimate removed by the pre-period covariate); None for other methods.
        units_control: Randomisation units (users) behind the control value.
        units_variant: Randomisation units (users) behind the variant value.
        rel_se_log: Standard error of ``log(value_variant / value_control)`` behind the relative interval (delta
            method); None where there is no such interval (non-inferiority tests use it).
        sequential_p_value: For the exact tests (``fisher_exact``, ``poisson_exact``), the always-valid p-value of
            the beta-binomial mixture (:mod:`pipelines.stats.mixture`); None for the normal-approximation tests,
            whose always-valid statement is the confidence sequence built from ``diff`` and ``se``.
    """

    method: str
    value_control: float
    value_variant: float
    diff: float
    se: float
    ci_low: float
    ci_high: float
    rel_diff: float | None
    rel_ci_low: float | None
    rel_ci_high: float | None
    p_value: float
    variance_reduction: float | None
    units_control: int
    units_variant: int
    rel_se_log: float | None = None
    sequential_p_value: float | None = None


def compare(control: Statistic, variant: Statistic, *, alpha: float = 0.05) -> EffectEstimate:
    """Compare ``variant`` with ``control`` using the test that fits their (common) statistic type.

    Raises ``TypeError`` when the two statistics have different types and ``ValueError`` when ``alpha``
    is not in (0, 1); degenerate data never raise (see the module docstring).
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    if type(control) is not type(variant):
        raise TypeError(f"cannot compare {type(control).__name__} with {type(variant).__name__}")
    if isinstance(control, ProportionStatistic) and isinstance(variant, ProportionStatistic):
        return _compare_proportions(control, variant, alpha)
    if isinstance(control, RatioStatistic) and isinstance(variant, RatioStatistic):
        return _compare_ratios(control, variant, alpha)
    if isinstance(control, RegressionAdjustedStatistic) and isinstance(variant, RegressionAdjustedStatistic):
        return _compare_cuped(control, variant, alpha)
    if isinstance(control, SampleMeanStatistic) and isinstance(variant, SampleMeanStatistic):
        return _compare_welch(control, variant, alpha, method="welch_t")
    raise TypeError(f"unsupported statistic type {type(control).__name__}")


# --- shared helpers -------------------------------------------------------------------------------------


def _relative(value_control: float, diff: float) -> float | None:
    if value_control == 0 or math.isnan(value_control):
        return None
    return diff / value_control


def _relative_interval(
    value_control: float, diff: float, var_mean_control: float, var_mean_variant: float, critical: float
) -> tuple[float | None, float | None, float | None]:
    """Delta method on ``log(v / c)`` with ``c = value_control``, ``v = c + diff`` (independent arms).

    ``se_log^2 = Var(c) / c^2 + Var(v) / v^2``; the interval is ``(v / c) exp(+/- z se_log) - 1``. Returns
    ``(low, high, se_log)``.
    """
    rel = _relative(value_control, diff)
    if rel is None:
        return None, None, None
    ratio = 1.0 + rel
    value_variant = value_control + diff
    if not ratio > 0 or value_variant == 0:
        return NAN, NAN, None
    se_log = math.sqrt(var_mean_control / value_control**2 + var_mean_variant / value_variant**2)
    if not math.isfinite(se_log):
        return NAN, NAN, None
    return ratio * math.exp(-critical * se_log) - 1.0, ratio * math.exp(critical * se_log) - 1.0, se_log


def _undefined(
    method: str, reason: str, value_control: float, value_variant: float, diff: float, n_c: int, n_v: int
) -> EffectEstimate:
    rel = _relative(value_control, diff)
    rel_nan = None if rel is None else NAN
    return EffectEstimate(
        method=f"{method} (undefined: {reason})",
        value_control=value_control,
        value_variant=value_variant,
        diff=diff,
        se=NAN,
        ci_low=NAN,
        ci_high=NAN,
        rel_diff=rel,
        rel_ci_low=rel_nan,
        rel_ci_high=rel_nan,
        p_value=NAN,
        variance_reduction=None,
        units_control=n_c,
        units_variant=n_v,
    )


def _normal_or_t_estimate(
    method: str,
    value_control: float,
    value_variant: float,
    diff: float,
    var_mean_control: float,
    var_mean_variant: float,
    n_c: int,
    n_v: int,
    alpha: float,
    df: float | None,
    variance_reduction: float | None = None,
) -> EffectEstimate:
    """Wald-type inference: ``diff / se`` against N(0, 1) (``df`` None) or Student t with ``df``."""
    se = math.sqrt(var_mean_control + var_mean_variant)
    if not se > 0:
        return _undefined(method, "zero variance in both arms", value_control, value_variant, diff, n_c, n_v)
    statistic = diff / se
    # scipy.special's ndtri / ndtr / stdtrit / stdtr are what stats.norm and stats.t call, without the ~0.3 ms
    # of argument checking per call (which dominates the simulations of thousands of experiments)
    if df is None:
        critical = float(special.ndtri(1.0 - alpha / 2.0))
        p_value = float(2.0 * special.ndtr(-abs(statistic)))
    else:
        critical = float(special.stdtrit(df, 1.0 - alpha / 2.0))
        p_value = float(2.0 * special.stdtr(df, -abs(statistic)))
    rel_low, rel_high, se_log = _relative_interval(value_control, diff, var_mean_control, var_mean_variant,
                                                   critical)
    return EffectEstimate(
        method=method,
        value_control=value_control,
        value_variant=value_variant,
        diff=diff,
        se=se,
        ci_low=diff - critical * se,
        ci_high=diff + critical * se,
        rel_diff=_relative(value_control, diff),
        rel_ci_low=rel_low,
        rel_ci_high=rel_high,
        p_value=p_value,
        variance_reduction=variance_reduction,
        units_control=n_c,
        units_variant=n_v,
        rel_se_log=se_log,
    )


def welch_satterthwaite_df(var_mean_control: float, var_mean_variant: float, n_c: int, n_v: int) -> float:
    """Welch (1947) - Satterthwaite (1946) degrees of freedom for ``se^2 = a + b``, ``a = s_c^2 / n_c``:

    ``df = (a + b)^2 / (a^2 / (n_c - 1) + b^2 / (n_v - 1))``.
    """
    a, b = var_mean_control, var_mean_variant
    return (a + b) ** 2 / (a * a / (n_c - 1) + b * b / (n_v - 1))


# --- the four tests -------------------------------------------------------------------------------------


def _compare_welch(
    control: SampleMeanStatistic, variant: SampleMeanStatistic, alpha: float, *, method: str
) -> EffectEstimate:
    """Welch's unequal-variance t-test (Welch 1947) on per-user means.

    ``diff = ybar_v - ybar_c``, ``se^2 = s_c^2 / n_c + s_v^2 / n_v``, t with Welch-Satterthwaite df.
    """
    n_c, n_v = control.n, variant.n
    value_c, value_v = control.mean, variant.mean
    diff = value_v - value_c
    if n_c < 2 or n_v < 2:
        return _undefined(method, "fewer than 2 units in an arm", value_c, value_v, diff, n_c, n_v)
    var_c, var_v = control.variance / n_c, variant.variance / n_v
    df = welch_satterthwaite_df(var_c, var_v, n_c, n_v) if var_c + var_v > 0 else None
    return _normal_or_t_estimate(method, value_c, value_v, diff, var_c, var_v, n_c, n_v, alpha, df)


def _compare_ratios(control: RatioStatistic, variant: RatioStatistic, alpha: float) -> EffectEstimate:
    """Difference of two ratio metrics, delta method over users (Deng, Knoblich & Lu 2018).

    ``diff = R_v - R_c``, ``se^2 = Var_delta(R_c) / n_c + Var_delta(R_v) / n_v`` (see
    ``RatioStatistic.variance``); normal approximation for the interval and the p-value.
    """
    method = "delta_method"
    n_c, n_v = control.n, variant.n
    value_c, value_v = control.mean, variant.mean
    diff = value_v - value_c
    if n_c < 2 or n_v < 2:
        return _undefined(method, "fewer than 2 units in an arm", value_c, value_v, diff, n_c, n_v)
    if control.d_sum == 0 or variant.d_sum == 0:
        return _undefined(method, "zero denominator", value_c, value_v, diff, n_c, n_v)
    return _normal_or_t_estimate(
        method, value_c, value_v, diff, control.variance / n_c, variant.variance / n_v, n_c, n_v, alpha, None
    )


def _compare_cuped(
    control: RegressionAdjustedStatistic, variant: RegressionAdjustedStatistic, alpha: float
) -> EffectEstimate:
    """CUPED (Deng, Xu, Kohavi & Walker 2013) with theta pooled within arms, then Welch.

    ``theta = sum_arms S_xy / sum_arms S_xx`` with ``S`` the within-arm centred sums of (cross-)products,
    i.e. the pooled within-arm ``Cov(y, x) / Var(x)`` - the same theta as the OLS of ``y`` on an intercept,
    the treatment indicator and ``x``, so ``diff`` equals that regression's treatment coefficient:

        diff = (ybar_v - theta xbar_v) - (ybar_c - theta xbar_c)
        se^2 = Var(y - theta x)_c / n_c + Var(y - theta x)_v / n_v,  Welch-Satterthwaite df.

    Theta is treated as known (its estimation error is O(1/n)). When the pooled pre-period variance is 0
    the covariate carries no information and the plain Welch test on ``y`` is returned.
    """
    method = "cuped_welch_t"
    n_c, n_v = control.n, variant.n
    value_c, value_v = control.mean, variant.mean
    if n_c < 2 or n_v < 2:
        diff = value_v - value_c
        return _undefined(method, "fewer than 2 units in an arm", value_c, value_v, diff, n_c, n_v)
    theta = cuped_theta(control, variant)
    if theta is None:
        return _compare_welch(
            control.post, variant.post, alpha, method="welch_t (CUPED not applied: pre-period variance is 0)"
        )
    diff = (value_v - theta * variant.pre.mean) - (value_c - theta * control.pre.mean)
    var_c, var_v = control.adjusted_variance(theta) / n_c, variant.adjusted_variance(theta) / n_v
    unadjusted = control.variance / n_c + variant.variance / n_v
    reduction = 1.0 - (var_c + var_v) / unadjusted if unadjusted > 0 else None
    df = welch_satterthwaite_df(var_c, var_v, n_c, n_v) if var_c + var_v > 0 else None
    return _normal_or_t_estimate(method, value_c, value_v, diff, var_c, var_v, n_c, n_v, alpha, df, reduction)


def cuped_theta(control: RegressionAdjustedStatistic, variant: RegressionAdjustedStatistic) -> float | None:
    """CUPED's theta, pooled within arms: how much of the pre-period covariate to subtract from the metric.

    ``theta = sum_arms S_xy / sum_arms S_xx`` with ``S`` the within-arm centred sums of (cross-)products (the
    pooled within-arm ``Cov(y, x) / Var(x)``). The one theta of the project: ``compare`` adjusts with it and
    power planning takes the adjusted variances ``adjusted_variance(theta)`` from it. None when the pooled
    pre-period variance is 0 or undefined (the covariate carries no information).
    """
    n_c, n_v = control.n, variant.n
    s_xx = control.pre.variance * (n_c - 1) + variant.pre.variance * (n_v - 1)
    if not s_xx > 0:
        return None
    s_xy = control.covariance * (n_c - 1) + variant.covariance * (n_v - 1)
    return s_xy / s_xx


def _compare_proportions(
    control: ProportionStatistic, variant: ProportionStatistic, alpha: float
) -> EffectEstimate:
    """Two-proportion z-test with the unpooled (Wald) standard error, or Fisher's exact test.

    ``diff = p_v - p_c``, ``se^2 = p_c (1 - p_c) / n_c + p_v (1 - p_v) / n_v``; the same unpooled SE gives
    the interval and the p-value (``z = diff / se``), consistent with the ratio and mean tests (the pooled
    SE of the classic score test would make the p-value and the interval disagree at the margin).

    When any of the four cells (successes and failures per arm) is below ``FISHER_MIN_CELL`` the p-value
    is Fisher's exact test (two-sided, ``scipy.stats.fisher_exact``), the interval is Newcombe's (1998,
    method 10) hybrid score interval, and ``method`` is ``fisher_exact``.
    """
    n_c, n_v = control.n, variant.n
    value_c, value_v = control.mean, variant.mean
    diff = value_v - value_c
    cells = (control.successes, control.failures, variant.successes, variant.failures)
    small = min(cells) < FISHER_MIN_CELL
    method = "fisher_exact" if small else "z_test"
    if n_c < 2 or n_v < 2:
        return _undefined(method, "fewer than 2 units in an arm", value_c, value_v, diff, n_c, n_v)
    var_c, var_v = control.bernoulli_variance / n_c, variant.bernoulli_variance / n_v
    if not small:
        return _normal_or_t_estimate(method, value_c, value_v, diff, var_c, var_v, n_c, n_v, alpha, None)
    table = [
        [round(variant.successes), round(variant.failures)],
        [round(control.successes), round(control.failures)],
    ]
    from scipy import stats  # only here: importing scipy.stats costs ~1.5 s at every start of `nudge`

    p_value = float(stats.fisher_exact(table, alternative="two-sided").pvalue)
    ci_low, ci_high = newcombe_interval(control, variant, alpha)
    critical = float(special.ndtri(1.0 - alpha / 2.0))
    rel_low, rel_high, se_log = _relative_interval(value_c, diff, var_c, var_v, critical)
    # always valid: the units with the rarer outcome, split between the arms as their sizes say under the null
    successes, failures = control.successes + variant.successes, control.failures + variant.failures
    rare_v, rare_c = ((variant.successes, control.successes) if successes <= failures
                      else (variant.failures, control.failures))
    return EffectEstimate(
        method=method,
        value_control=value_c,
        value_variant=value_v,
        diff=diff,
        se=math.sqrt(var_c + var_v),
        ci_low=ci_low,
        ci_high=ci_high,
        rel_diff=_relative(value_c, diff),
        rel_ci_low=rel_low,
        rel_ci_high=rel_high,
        p_value=p_value,
        variance_reduction=None,
        units_control=n_c,
        units_variant=n_v,
        rel_se_log=se_log,
        sequential_p_value=mixture_p_value(rare_v, rare_c, n_v / (n_c + n_v)),
    )
