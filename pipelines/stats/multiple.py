"""Multiple-comparison adjustments of p-values.

Both functions return adjusted p-values in the input order. NaN inputs (tests that were undefined) are
passed through untouched and do not count towards the number of hypotheses ``m``. Adjusted p-values are
capped at 1, monotone in the raw p-values, and never smaller than the raw p-value.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["benjamini_hochberg", "holm"]


def _split(p_values: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return ``(all values as float array, indices of finite values, those values)``; checks range."""
    values = np.asarray([float(p) for p in p_values], dtype=float)
    keep = np.flatnonzero(~np.isnan(values))
    finite = values[keep]
    if np.any((finite < 0) | (finite > 1)):
        raise ValueError("p-values must lie in [0, 1] (or be NaN)")
    return values, keep, finite


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm (1979) step-down adjustment, controlling the family-wise error rate.

    Sorting the ``m`` non-NaN p-values ascending, ``p_(1) <= ... <= p_(m)``:

        adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j))
    """
    values, keep, finite = _split(p_values)
    m = finite.size
    if m == 0:
        return [float(v) for v in values]
    order = np.argsort(finite, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * finite[order])
    adjusted_sorted = np.maximum.accumulate(scaled)
    adjusted = np.empty(m)
    adjusted[order] = np.maximum(adjusted_sorted, finite[order])
    out = values.copy()
    out[keep] = adjusted
    return [float(v) for v in out]


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg (1995) step-up adjustment, controlling the false discovery rate.

    Sorting the ``m`` non-NaN p-values ascending, ``p_(1) <= ... <= p_(m)``:

        adj_(i) = min_{j >= i} min(1, m p_(j) / j)
    """
    values, keep, finite = _split(p_values)
    m = finite.size
    if m == 0:
        return [float(v) for v in values]
    order = np.argsort(finite, kind="stable")
    scaled = np.minimum(1.0, m * finite[order] / np.arange(1, m + 1))
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.maximum(adjusted_sorted, finite[order])
    out = values.copy()
    out[keep] = adjusted
    return [float(v) for v in out]

