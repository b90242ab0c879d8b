"""Score intervals for proportions: Wilson (one proportion) and Newcombe (difference of two).

Both stay inside [0, 1] (resp. [-1, 1]) and behave well for small counts and proportions near 0 or 1,
where the Wald interval ``p +/- z sqrt(p (1 - p) / n)`` collapses to a point.
"""

from __future__ import annotations

import math

from scipy import special

from pipelines.stats.statistics import NAN, ProportionStatistic


def _critical_value(alpha: float) -> float:
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return float(special.ndtri(1.0 - alpha / 2.0))


def wilson_interval(stat: ProportionStatistic, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson (1927) score interval for one proportion, confidence level ``1 - alpha``.

    With ``p = sum / n`` and ``z = Phi^-1(1 - alpha / 2)`` (Wilson 1927; Newcombe 1998 method 3):

        centre    = (p + z^2 / (2n)) / (1 + z^2 / n)
        half-width = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / (4 n^2))

    Returns ``(nan, nan)`` when ``n == 0``.
    """
    z = _critical_value(alpha)
    n = stat.n
    if n == 0:
        return NAN, NAN
    p = stat.sum / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2.0 * n)) / denominator
    half_width = z / denominator * math.sqrt(max(p * (1.0 - p) / n + z2 / (4.0 * n * n), 0.0))
    return max(centre - half_width, 0.0), min(centre + half_width, 1.0)


def newcombe_interval(
    control: ProportionStatistic, variant: ProportionStatistic, alpha: float = 0.05
) -> tuple[float, float]:
    """Newcombe (1998) hybrid score interval, "method 10", for ``p_variant - p_control``.

    With Wilson intervals ``(l_v, u_v)`` and ``(l_c, u_c)`` at the same ``alpha`` and ``d = p_v - p_c``
    (Newcombe, "Interval estimation for the difference between independent proportions", Stat. Med. 1998):

        lower = d - sqrt((p_v - l_v)^2 + (u_c - p_c)^2)
        upper = d + sqrt((u_v - p_v)^2 + (p_c - l_c)^2)

    Returns ``(nan, nan)`` when either arm has no units.
    """
    if control.n == 0 or variant.n == 0:
        _critical_value(alpha)
        return NAN, NAN
    low_c, high_c = wilson_interval(control, alpha)
    low_v, high_v = wilson_interval(variant, alpha)
    p_c, p_v = control.mean, variant.mean
    d = p_v - p_c
    lower = d - math.sqrt((p_v - low_v) ** 2 + (high_c - p_c) ** 2)
    upper = d + math.sqrt((high_v - p_v) ** 2 + (p_c - low_c) ** 2)
    return lower, upper
