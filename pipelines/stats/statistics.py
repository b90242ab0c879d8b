"""Sufficient statistics of one experiment arm (or one segment of an arm).

The SQL layer aggregates per-user values into a handful of sums per arm; these frozen dataclasses hold
those sums and derive the quantities the tests need. The design follows GrowthBook's ``gbstats``
(``gbstats/models/statistics.py``): every statistic has

* ``n`` - the number of randomisation units (users) behind the sums;
* ``mean`` - the metric value of the arm;
* ``variance`` - the *per-unit* variance, i.e. ``variance / n`` is the variance of ``mean``;
* ``+`` - combining two disjoint shards (e.g. two days or two partitions of users) exactly, because all
  fields are plain sums.

Conventions for degenerate inputs (they never raise): ``mean`` is NaN when ``n == 0`` (or the ratio
denominator sums to 0); ``variance`` is NaN when ``n < 2``. Variances computed from sums are clipped at
0 to absorb floating-point cancellation. Clearly invalid inputs (negative ``n``, a proportion with more
successes than units) raise ``ValueError``: they are bugs upstream, not data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Any, Self

NAN = float("nan")


def _coerce(obj: Any) -> None:
    """Normalise field types in place (frozen dataclass): ``n`` to int, every sum to float.

    The SQL layer may hand over numpy scalars, Decimals or integer sums; the formulas want floats. SQL's
    ``SUM`` over no rows is NULL, so a sum of ``None`` is read as 0 when ``n == 0`` (an empty segment);
    with ``n > 0`` a missing sum is an upstream bug and raises ``ValueError``.
    """
    as_float = float(obj.n)
    if not as_float.is_integer() or as_float < 0:
        raise ValueError(f"{type(obj).__name__}.n must be a non-negative integer, got {obj.n!r}")
    n = int(as_float)
    object.__setattr__(obj, "n", n)
    for f in fields(obj):
        if f.name == "n":
            continue
        value = getattr(obj, f.name)
        if value is None:
            if n > 0:
                raise ValueError(f"{type(obj).__name__}.{f.name} is missing (None) with n={n}")
            value = 0.0
        object.__setattr__(obj, f.name, float(value))


def _sample_variance(n: int, total: float, total_squares: float) -> float:
    """Unbiased sample variance ``(sum x^2 - (sum x)^2 / n) / (n - 1)``; NaN when ``n < 2``."""
    if n < 2:
        return NAN
    return max((total_squares - total * total / n) / (n - 1), 0.0)


def _sample_covariance(n: int, sum_a: float, sum_b: float, sum_products: float) -> float:
    """Unbiased sample covariance ``(sum ab - sum a * sum b / n) / (n - 1)``; NaN when ``n < 2``."""
    if n < 2:
        return NAN
    return (sum_products - sum_a * sum_b / n) / (n - 1)


def _check_same_type(left: object, right: object) -> None:
    if type(left) is not type(right):
        raise TypeError(f"cannot add {type(right).__name__} to {type(left).__name__}")


@dataclass(frozen=True)
class SampleMeanStatistic:
    """Per-user values ``x_i`` summarised as ``n``, ``sum x_i`` and ``sum x_i^2``.

    Used for per-user means such as ``posts_per_user`` (Welch t-test in ``compare``).
    """

    n: int
    sum: float
    sum_squares: float

    def __post_init__(self) -> None:
        _coerce(self)

    @property
    def unit_count(self) -> int:
        """Number of randomisation units (users) behind the sums."""
        return self.n

    @property
    def mean(self) -> float:
        """Sample mean ``sum / n`` (NaN when ``n == 0``)."""
        return self.sum / self.n if self.n > 0 else NAN

    @property
    def variance(self) -> float:
        """Per-user sample variance with the ``n - 1`` denominator (NaN when ``n < 2``)."""
        return _sample_variance(self.n, self.sum, self.sum_squares)

    def __add__(self, other: Self) -> Self:
        _check_same_type(self, other)
        return type(self)(
            n=self.n + other.n,
            sum=self.sum + other.sum,
            sum_squares=self.sum_squares + other.sum_squares,
        )


@dataclass(frozen=True)
class ProportionStatistic:
    """Per-user indicators ``x_i in {0, 1}`` summarised as ``n`` and the number of successes ``sum``.

    ``sum_squares`` equals ``sum`` for 0/1 data, so ``variance`` is the same n-1 sample variance a
    ``SampleMeanStatistic`` of the same data would give: ``p (1 - p) n / (n - 1)``. (The two-proportion
    z-test in ``compare`` uses the Bernoulli variance ``p (1 - p)`` instead, as the textbook Wald test does.)
    """

    n: int
    sum: float

    def __post_init__(self) -> None:
        _coerce(self)
        if not (0.0 <= self.sum <= self.n):
            raise ValueError(f"ProportionStatistic needs 0 <= sum <= n, got sum={self.sum}, n={self.n}")

    @property
    def unit_count(self) -> int:
        """Number of randomisation units (users) behind the count."""
        return self.n

    @property
    def successes(self) -> float:
        """Number of units with ``x_i = 1`` (alias of ``sum``)."""
        return self.sum

    @property
    def failures(self) -> float:
        """Number of units with ``x_i = 0``."""
        return self.n - self.sum

    @property
    def mean(self) -> float:
        """Observed proportion ``sum / n`` (NaN when ``n == 0``)."""
        return self.sum / self.n if self.n > 0 else NAN

    @property
    def variance(self) -> float:
        """Per-user sample variance ``p (1 - p) n / (n - 1)`` (NaN when ``n < 2``)."""
        return _sample_variance(self.n, self.sum, self.sum)

    @property
    def bernoulli_variance(self) -> float:
        """Plug-in Bernoulli variance ``p (1 - p)`` (NaN when ``n == 0``), used by the Wald z-test."""
        p = self.mean
        return p * (1.0 - p)

    def __add__(self, other: Self) -> Self:
        _check_same_type(self, other)
        return type(self)(n=self.n + other.n, sum=self.sum + other.sum)


@dataclass(frozen=True)
class RatioStatistic:
    """A ratio of sums ``sum m_i / sum d_i`` over users, e.g. withdrawn attempts / attempts.

    ``m_i`` and ``d_i`` are each user's numerator and denominator; the user (not the attempt) is the
    independent unit, so the variance comes from the delta method over users (Deng, Knoblich & Lu 2018,
    "Applying the Delta Method in Metric Analytics", eq. for the ratio of two means):

        Var(R_hat) ~= (1 / (n mu_d^2)) * (s_m^2 - 2 R s_md + R^2 s_d^2),   R = mean_m / mean_d,

    with ``s_m^2``, ``s_d^2``, ``s_md`` the n-1 sample (co)variances of the per-user values.
    """

    n: int
    m_sum: float
    m_sum_squares: float
    d_sum: float
    d_sum_squares: float
    m_d_sum_of_products: float

    def __post_init__(self) -> None:
        _coerce(self)

    @property
    def unit_count(self) -> int:
        """Number of randomisation units (users) behind the sums."""
        return self.n

    @property
    def numerator(self) -> SampleMeanStatistic:
        """The per-user numerators ``m_i`` as a mean statistic."""
        return SampleMeanStatistic(self.n, self.m_sum, self.m_sum_squares)

    @property
    def denominator(self) -> SampleMeanStatistic:
        """The per-user denominators ``d_i`` as a mean statistic."""
        return SampleMeanStatistic(self.n, self.d_sum, self.d_sum_squares)

    @property
    def covariance(self) -> float:
        """Sample covariance of ``m_i`` and ``d_i`` (n-1 denominator; NaN when ``n < 2``)."""
        return _sample_covariance(self.n, self.m_sum, self.d_sum, self.m_d_sum_of_products)

    @property
    def mean(self) -> float:
        """The ratio ``sum m / sum d`` (NaN when ``sum d == 0``)."""
        return self.m_sum / self.d_sum if self.d_sum != 0 else NAN

    @property
    def variance(self) -> float:
        """Delta-method variance of the ratio times ``n`` (so ``variance / n`` is Var of ``mean``).

        ``(s_m^2 - 2 R s_md + R^2 s_d^2) / mean_d^2`` (Deng et al. 2018). NaN when ``n < 2`` or the
        denominator sums to 0.
        """
        if self.n < 2 or self.d_sum == 0:
            return NAN
        ratio = self.mean
        mean_d = self.d_sum / self.n
        var_m, var_d = self.numerator.variance, self.denominator.variance
        linearised = var_m - 2.0 * ratio * self.covariance + ratio * ratio * var_d
        return max(linearised, 0.0) / (mean_d * mean_d)

    def __add__(self, other: Self) -> Self:
        _check_same_type(self, other)
        return type(self)(
            n=self.n + other.n,
            m_sum=self.m_sum + other.m_sum,
            m_sum_squares=self.m_sum_squares + other.m_sum_squares,
            d_sum=self.d_sum + other.d_sum,
            d_sum_squares=self.d_sum_squares + other.d_sum_squares,
            m_d_sum_of_products=self.m_d_sum_of_products + other.m_d_sum_of_products,
        )


@dataclass(frozen=True)
class RegressionAdjustedStatistic:
    """A per-user mean metric ``y_i`` with its pre-experiment covariate ``x_i`` for CUPED.

    ``x_i`` is the same user's value of the metric in the pre-period (Deng, Xu, Kohavi & Walker 2013,
    "Improving the Sensitivity of Online Controlled Experiments by Utilizing Pre-Experiment Data").
    ``mean`` and ``variance`` describe the *observed, unadjusted* post-period values; the adjustment needs
    both arms (theta is pooled) and happens in ``compare``. ``adjusted_variance(theta)`` gives the per-unit
    variance of ``y - theta x`` for a given ``theta``.
    """

    n: int
    post_sum: float
    post_sum_squares: float
    pre_sum: float
    pre_sum_squares: float
    post_pre_sum_of_products: float

    def __post_init__(self) -> None:
        _coerce(self)

    @property
    def unit_count(self) -> int:
        """Number of randomisation units (users) behind the sums."""
        return self.n

    @property
    def post(self) -> SampleMeanStatistic:
        """The in-experiment values ``y_i``."""
        return SampleMeanStatistic(self.n, self.post_sum, self.post_sum_squares)

    @property
    def pre(self) -> SampleMeanStatistic:
        """The pre-period covariate ``x_i``."""
        return SampleMeanStatistic(self.n, self.pre_sum, self.pre_sum_squares)

    @property
    def covariance(self) -> float:
        """Sample covariance of ``y_i`` and ``x_i`` (n-1 denominator; NaN when ``n < 2``)."""
        return _sample_covariance(self.n, self.post_sum, self.pre_sum, self.post_pre_sum_of_products)

    @property
    def mean(self) -> float:
        """Observed (unadjusted) mean of ``y``."""
        return self.post.mean

    @property
    def variance(self) -> float:
        """Observed (unadjusted) per-user sample variance of ``y``."""
        return self.post.variance

    def adjusted_variance(self, theta: float) -> float:
        """Per-user sample variance of ``y - theta x``: ``s_y^2 + theta^2 s_x^2 - 2 theta s_xy``."""
        value = self.post.variance + theta * theta * self.pre.variance - 2.0 * theta * self.covariance
        return max(value, 0.0) if not math.isnan(value) else NAN

    def __add__(self, other: Self) -> Self:
        _check_same_type(self, other)
        return type(self)(
            n=self.n + other.n,
            post_sum=self.post_sum + other.post_sum,
            post_sum_squares=self.post_sum_squares + other.post_sum_squares,
            pre_sum=self.pre_sum + other.pre_sum,
            pre_sum_squares=self.pre_sum_squares + other.pre_sum_squares,
            post_pre_sum_of_products=self.post_pre_sum_of_products + other.post_pre_sum_of_products,
        )


Statistic = SampleMeanStatistic | ProportionStatistic | RatioStatistic | RegressionAdjustedStatistic
"""Any of the sufficient-statistic types ``compare`` accepts."""
